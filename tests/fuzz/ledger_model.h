// LedgerModel: what the ledger should hold and answer, computed the simplest
// way from the README's rules and nothing of service/: plain maps, 128-bit
// sums. The fuzzer asks it what each call may answer, tells it what
// committed, and compares the ledger with it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ledger/v1/ledger.pb.h"
#include "service/ledger/caller.h"

namespace ledger::fuzz {

// What one call may answer. No refusal: it must succeed; otherwise it must
// fail with one of these codes (a request breaking several rules may be
// refused for any of them).
struct Expectation {
  std::set<absl::StatusCode> refusals;
  // A transfer that must succeed as a retry: the sequence of the commit whose
  // receipt it must return, unchanged. 0 for a transfer that must commit anew.
  uint64_t retry_of = 0;

  bool must_succeed() const { return refusals.empty(); }
};

struct ModelAccount {
  std::string owner;
  int64_t initial_balance = 0;
  int64_t balance = 0;            // its version is 1 + journal.size()
  std::vector<uint64_t> journal;  // sequences of the transfers touching it, in commit order
};

class LedgerModel {
 public:
  // The rules themselves, restated: 1 to 64 characters of [A-Za-z0-9_.-]; a
  // request_id of 1 to 128 bytes.
  static bool IsValidAccountId(std::string_view id);
  static bool IsValidRequestId(std::string_view request_id);

  Expectation ExpectOpen(const Caller& caller, const v1::OpenAccountRequest& request) const;
  // GetAccount, ListTransfers and Audit: the account must exist and the
  // caller must be its owner or admin.
  Expectation ExpectRead(const Caller& caller, const std::string& id) const;
  Expectation ExpectTransfer(const Caller& caller, const v1::TransferRequest& request) const;

  // Records what the ledger must have done for a call expected to succeed.
  void Open(const Caller& caller, const v1::OpenAccountRequest& request);
  // A new commit: the receipt it must return (committed_at not yet known).
  v1::TransferReceipt& Commit(const v1::TransferRequest& request);

  const std::map<std::string, ModelAccount>& accounts() const { return accounts_; }
  const ModelAccount* Find(const std::string& id) const;
  // Every committed transfer, by sequence: the embedded store numbers them
  // 1, 2, 3... across the whole ledger.
  v1::TransferReceipt& Receipt(uint64_t sequence) { return journal_[sequence - 1]; }
  uint64_t committed() const { return journal_.size(); }
  // Money created: the sum of the initial balances of every account opened.
  __int128 minted() const { return minted_; }

 private:
  static bool MayDebitOrRead(const Caller& caller, const ModelAccount& account);

  std::map<std::string, ModelAccount> accounts_;
  std::vector<v1::TransferReceipt> journal_;
  std::map<std::string, uint64_t> sequence_by_request_id_;
  __int128 minted_ = 0;
};

}  // namespace ledger::fuzz
