// SimulatedIoStore: a LedgerStore that waits a simulated I/O latency before
// every call of the store it wraps, the way its caller waits (IoWait). It
// turns the embedded store into something handlers wait on as they would on a
// database; each serving mode has its own, over the one store both share.
#pragma once

#include "absl/time/time.h"
#include "service/stores/io_wait.h"
#include "service/stores/store.h"

namespace ledger {

class SimulatedIoStore final : public LedgerStore {
 public:
  SimulatedIoStore(LedgerStore& store, absl::Duration latency, IoWait& wait)
      : store_(store), latency_(latency), wait_(wait) {}

  absl::string_view name() const override { return store_.name(); }
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
  LedgerStore& store_;
  const absl::Duration latency_;
  IoWait& wait_;
};

}  // namespace ledger
