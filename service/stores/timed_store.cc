#include "service/stores/timed_store.h"

#include <chrono>

namespace ledger {
namespace {

// Awaits `operation` and records how long it took, whatever its outcome.
template <typename Result>
coro::Task<Result> Timed(metrics::StripedHistogram& seconds, coro::Task<Result> operation) {
  const auto start = std::chrono::steady_clock::now();
  Result result = co_await std::move(operation);
  seconds.Observe(std::chrono::steady_clock::now() - start);
  co_return result;
}

}  // namespace

TimedStore::TimedStore(LedgerStore& store, ServingMode mode, metrics::HistogramFamily& family)
    : store_(store) {
  // The `op` label values, indexed by Operation.
  constexpr std::array<const char*, kOperations> kNames = {"open_account", "get_account",
                                                           "commit_transfer", "list_transfers"};
  for (int op = 0; op < kOperations; ++op) {
    seconds_[op] = &family.Add(
        {{"op", kNames[op]}, {"store", std::string(store.name())}, {"mode", ModeName(mode)}});
  }
}

coro::Task<absl::StatusOr<v1::Account>> TimedStore::OpenAccount(
    std::string id, std::string owner, int64_t initial_balance,
    const coro::Cancellation& cancellation) {
  return Timed(*seconds_[kOpenAccount],
               store_.OpenAccount(std::move(id), std::move(owner), initial_balance, cancellation));
}

coro::Task<absl::StatusOr<AccountRecord>> TimedStore::GetAccount(
    std::string id, const coro::Cancellation& cancellation) {
  return Timed(*seconds_[kGetAccount], store_.GetAccount(std::move(id), cancellation));
}

coro::Task<absl::StatusOr<v1::TransferReceipt>> TimedStore::CommitTransfer(
    v1::TransferRequest transfer, const Caller& caller, const coro::Cancellation& cancellation) {
  return Timed(*seconds_[kCommitTransfer],
               store_.CommitTransfer(std::move(transfer), caller, cancellation));
}

coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> TimedStore::ListTransfers(
    std::string account_id, uint64_t after_sequence, int max_count,
    const coro::Cancellation& cancellation) {
  return Timed(
      *seconds_[kListTransfers],
      store_.ListTransfers(std::move(account_id), after_sequence, max_count, cancellation));
}

}  // namespace ledger
