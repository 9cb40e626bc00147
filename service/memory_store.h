// MemoryStore: the embedded store, the default. State lives in this process
// behind one mutex that is never held across an await; each call first waits
// a simulated I/O latency, so handlers wait on it the way they would wait on a
// database.
#pragma once

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/store.h"

namespace ledger {

class MemoryStore final : public LedgerStore {
 public:
  explicit MemoryStore(absl::Duration latency) : latency_(latency) {}

  coro::Task<absl::StatusOr<v1::Account>> OpenAccount(std::string id,
                                                      int64_t initial_balance) override;
  coro::Task<absl::StatusOr<v1::Account>> GetAccount(std::string id) override;
  coro::Task<absl::StatusOr<v1::TransferReceipt>> CommitTransfer(
      v1::TransferRequest transfer) override;

 private:
  // On a completion-queue thread the latency is an alarm on that queue, so
  // the caller's coroutine is suspended and the thread serves others. On any
  // other thread (thread-per-request serving) it blocks the calling thread,
  // as a blocking database driver would. Either way the wait is the same.
  coro::Task<void> SimulateIo() const;

  const absl::Duration latency_;

  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, v1::Account> accounts_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<std::string, v1::TransferReceipt> receipts_by_request_id_
      ABSL_GUARDED_BY(mutex_);
  uint64_t last_sequence_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace ledger
