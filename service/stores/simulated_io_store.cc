#include "service/stores/simulated_io_store.h"

#include <utility>

namespace ledger {

coro::Task<absl::StatusOr<v1::Account>> SimulatedIoStore::OpenAccount(
    std::string id, std::string owner, int64_t initial_balance,
    const coro::Cancellation& cancellation) {
  if (absl::Status stop = co_await wait_.Wait(latency_, cancellation); !stop.ok()) co_return stop;
  co_return co_await store_.OpenAccount(std::move(id), std::move(owner), initial_balance,
                                        cancellation);
}

coro::Task<absl::StatusOr<AccountRecord>> SimulatedIoStore::GetAccount(
    std::string id, const coro::Cancellation& cancellation) {
  if (absl::Status stop = co_await wait_.Wait(latency_, cancellation); !stop.ok()) co_return stop;
  co_return co_await store_.GetAccount(std::move(id), cancellation);
}

coro::Task<absl::StatusOr<v1::TransferReceipt>> SimulatedIoStore::CommitTransfer(
    v1::TransferRequest transfer, const Caller& caller, const coro::Cancellation& cancellation) {
  if (absl::Status stop = co_await wait_.Wait(latency_, cancellation); !stop.ok()) co_return stop;
  co_return co_await store_.CommitTransfer(std::move(transfer), caller, cancellation);
}

coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> SimulatedIoStore::ListTransfers(
    std::string account_id, uint64_t after_sequence, int max_count,
    const coro::Cancellation& cancellation) {
  if (absl::Status stop = co_await wait_.Wait(latency_, cancellation); !stop.ok()) co_return stop;
  co_return co_await store_.ListTransfers(std::move(account_id), after_sequence, max_count,
                                          cancellation);
}

}  // namespace ledger
