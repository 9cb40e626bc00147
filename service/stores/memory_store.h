// MemoryStore: the embedded store, the default. State lives in this process
// behind one mutex; no call awaits anything, so each runs to its end on the
// caller's thread. SimulatedIoStore adds the latency of a database round trip.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "service/stores/store.h"

namespace ledger {

class MemoryStore final : public LedgerStore {
 public:
  absl::string_view name() const override { return "memory"; }

  coro::Task<absl::StatusOr<v1::Account>> OpenAccount(
      std::string id, std::string owner, int64_t initial_balance,
      const coro::Cancellation& cancellation) override;
  coro::Task<absl::StatusOr<AccountRecord>> GetAccount(
      std::string id, const coro::Cancellation& cancellation) override;
  coro::Task<absl::StatusOr<v1::TransferReceipt>> CommitTransfer(
      v1::TransferRequest transfer, const Caller& caller,
      const coro::Cancellation& cancellation) override;
  coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> ListTransfers(
      std::string account_id, uint64_t after_sequence, int max_count,
      const coro::Cancellation& cancellation) override;

 private:
  struct AccountState {
    AccountRecord record;
    std::vector<uint64_t> sequences;  // of the transfers touching it, ascending
  };

  std::mutex mutex_;  // guards everything below
  absl::flat_hash_map<std::string, AccountState> accounts_;
  std::vector<v1::TransferReceipt> journal_;  // journal_[sequence - 1]
  absl::flat_hash_map<std::string, uint64_t> sequence_by_request_id_;
};

}  // namespace ledger
