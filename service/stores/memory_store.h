// MemoryStore: the embedded store, the default. State lives in this process
// behind one mutex that is never held across an await; each call first waits
// a simulated I/O latency, so handlers wait on it the way they would wait on a
// database.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "service/stores/store.h"

namespace ledger {

class MemoryStore final : public LedgerStore {
 public:
  explicit MemoryStore(absl::Duration latency) : latency_(latency) {}

  absl::string_view name() const override { return "memory"; }

  coro::Task<absl::StatusOr<v1::Account>> OpenAccount(
      std::string id, int64_t initial_balance, const coro::Cancellation& cancellation) override;
  coro::Task<absl::StatusOr<AccountRecord>> GetAccount(
      std::string id, const coro::Cancellation& cancellation) override;
  coro::Task<absl::StatusOr<v1::TransferReceipt>> CommitTransfer(
      v1::TransferRequest transfer, const coro::Cancellation& cancellation) override;
  coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> ListTransfers(
      std::string account_id, uint64_t after_sequence, int max_count,
      const coro::Cancellation& cancellation) override;

 private:
  struct AccountState {
    AccountRecord record;
    std::vector<uint64_t> sequences;  // of the transfers touching it, ascending
  };

  // The simulated round trip to the database; OK, or why the call stopped.
  // On a completion-queue thread it is an alarm on that queue (zero latency
  // still goes through the queue, as any I/O completion would), so the
  // caller's coroutine is suspended while the thread serves others, and a
  // cancelled call stops waiting at once. On any other thread
  // (thread-per-request serving) it blocks the calling thread, as a blocking
  // database driver would. Either way the wait is the same gRPC timer, so the
  // latency has one distribution in both modes.
  coro::Task<absl::Status> SimulateIo(const coro::Cancellation& cancellation) const;

  const absl::Duration latency_;

  std::mutex mutex_;  // guards everything below
  absl::flat_hash_map<std::string, AccountState> accounts_;
  std::vector<v1::TransferReceipt> journal_;  // journal_[sequence - 1]
  absl::flat_hash_map<std::string, uint64_t> sequence_by_request_id_;
};

}  // namespace ledger
