// TimedStore: a LedgerStore that times every call of the store it wraps into
// ledger_store_operation_seconds{op, store, mode}. Each serving mode has its
// own, over the one store both share.
#pragma once

#include <array>

#include "contract/serving_mode.h"
#include "service/metrics/striped_histogram.h"
#include "service/stores/store.h"

namespace ledger {

class TimedStore final : public LedgerStore {
 public:
  // Adds the series of `mode` for every operation of `store` to `family`.
  TimedStore(LedgerStore& store, ServingMode mode, metrics::HistogramFamily& family);

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
  enum Operation { kOpenAccount, kGetAccount, kCommitTransfer, kListTransfers, kOperations };

  LedgerStore& store_;
  std::array<metrics::StripedHistogram*, kOperations> seconds_;
};

}  // namespace ledger
