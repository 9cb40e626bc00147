// FuzzRun: one fuzzer input played against a fresh Ledger on the embedded
// store, in process, with no latency: each byte string is decoded into a
// sequence of calls of every RPC by assorted callers, each call's answer is
// checked against LedgerModel as it returns, and at the end the whole ledger
// is read back (GetAccount, ListTransfers and Audit of every account) and
// compared with the model: money conserved, versions, journals, digests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "coro/thread_pool.h"
#include "service/ledger/ledger.h"
#include "service/stores/memory_store.h"
#include "tests/fuzz/fuzz_bytes.h"
#include "tests/fuzz/hostile_values.h"
#include "tests/fuzz/ledger_model.h"

namespace ledger::fuzz {

class FuzzRun {
 public:
  // `workers` runs Audit's hashing, as the server's worker pool does.
  FuzzRun(FuzzBytes& in, coro::ThreadPool& workers) : in_(in), ledger_(store_, workers) {}

  // Plays the input to its end, then checks the whole ledger.
  void Play();

 private:
  void OpenAccount();
  void GetAccount();
  void Transfer();
  void ListTransfers();
  void ImportTransfers(const Caller& caller, const std::vector<v1::TransferRequest>& requests);
  void TransferStream(const Caller& caller, const std::vector<v1::TransferRequest>& requests);
  void Audit();

  // A new request, or one sent before (a retry, or its request_id reused).
  v1::TransferRequest PickTransferRequest();
  std::vector<v1::TransferRequest> PickTransferRequests();
  // Many small transfers between two accounts, so that journals run past the
  // store's pages.
  std::vector<v1::TransferRequest> Burst();

  // Checks one transfer's outcome against the model and records a commit.
  void CheckTransfer(absl::FunctionRef<std::string()> call, const Caller& caller,
                     const v1::TransferRequest& request, absl::StatusCode stopped,
                     const absl::StatusOr<v1::TransferReceipt>& receipt);

  void CheckAccount(const std::string& id, const v1::Account& account,
                    const ModelAccount& expected);
  // The journal the model holds for `id`, oldest first.
  std::vector<v1::TransferReceipt*> Journal(const std::string& id);
  void CheckEverything();

  FuzzBytes& in_;
  MemoryStore store_;
  Ledger ledger_;
  LedgerModel model_;
  RequestIds request_ids_;
  std::vector<v1::TransferRequest> sent_;  // every transfer request sent, for retries
  int transfers_sent_ = 0;
};

}  // namespace ledger::fuzz
