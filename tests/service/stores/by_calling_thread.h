// ByCallingThread: one LedgerStore over two modes' stores, as ledger-server
// --mode=both runs them, for harnesses that run both modes at once.
#pragma once

#include "coro/completion_queue_threads.h"
#include "service/stores/store.h"

namespace ledger::conformance {

// Hands each call to coroutine mode's stack when it runs on a completion-queue
// thread, and to thread mode's otherwise: the choice is made when the call
// starts, on the thread that runs it.
class ByCallingThread final : public LedgerStore {
 public:
  ByCallingThread(LedgerStore& on_queue, LedgerStore& on_thread)
      : on_queue_(on_queue), on_thread_(on_thread) {}

  absl::string_view name() const override { return on_queue_.name(); }
  coro::Task<absl::StatusOr<v1::Account>> OpenAccount(
      std::string id, std::string owner, int64_t initial_balance,
      const coro::Cancellation& cancellation) override {
    co_return co_await Pick().OpenAccount(std::move(id), std::move(owner), initial_balance,
                                          cancellation);
  }
  coro::Task<absl::StatusOr<AccountRecord>> GetAccount(
      std::string id, const coro::Cancellation& cancellation) override {
    co_return co_await Pick().GetAccount(std::move(id), cancellation);
  }
  coro::Task<absl::StatusOr<v1::TransferReceipt>> CommitTransfer(
      v1::TransferRequest transfer, const Caller& caller,
      const coro::Cancellation& cancellation) override {
    co_return co_await Pick().CommitTransfer(std::move(transfer), caller, cancellation);
  }
  coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> ListTransfers(
      std::string account_id, uint64_t after_sequence, int max_count,
      const coro::Cancellation& cancellation) override {
    co_return co_await Pick().ListTransfers(std::move(account_id), after_sequence, max_count,
                                            cancellation);
  }

 private:
  LedgerStore& Pick() { return coro::CompletionQueueThreads::Current() ? on_queue_ : on_thread_; }

  LedgerStore& on_queue_;
  LedgerStore& on_thread_;
};

}  // namespace ledger::conformance
