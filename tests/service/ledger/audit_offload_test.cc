// Audit's hashing runs on the worker pool, never on the thread that serves
// the call: with the pool's only worker held busy, an audit cannot finish,
// however long it is given; once the worker is free, it does. Nothing here
// depends on timing: the wait only gives a wrong implementation the chance
// to show itself.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "absl/time/clock.h"
#include "coro/sync_wait.h"
#include "coro/thread_pool.h"
#include "service/ledger/ledger.h"
#include "service/stores/memory_store.h"

namespace ledger {
namespace {

// Runs on a worker of `pool` until `release` is ready; `held` says when.
coro::Task<void> HoldAWorker(coro::ThreadPool& pool, std::promise<void>& held,
                             std::shared_future<void> release) {
  co_await pool.Schedule();
  held.set_value();
  release.wait();
}

TEST(LedgerAudit, HashesOnTheWorkerPool) {
  MemoryStore store;
  coro::ThreadPool workers(1);
  Ledger ledger(store, workers);
  v1::OpenAccountRequest open;
  open.set_id("audited");
  open.set_initial_balance(100);
  ASSERT_TRUE(
      coro::SyncWait(ledger.OpenAccount(Caller::Anyone(), open, coro::Cancellation())).ok());

  std::promise<void> held;
  std::promise<void> release;
  std::thread holder(
      [&] { coro::SyncWait(HoldAWorker(workers, held, release.get_future().share())); });
  held.get_future().wait();

  std::atomic<bool> audited{false};
  v1::AuditRequest request;
  request.set_account_id("audited");
  absl::StatusOr<v1::AuditReport> report;
  std::thread auditor([&] {
    report = coro::SyncWait(ledger.Audit(Caller::Anyone(), request, coro::Cancellation()));
    audited = true;
  });
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(audited) << "Audit finished while the only worker was busy: it hashed elsewhere";

  release.set_value();
  auditor.join();
  holder.join();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->consistent());
  EXPECT_EQ(report->balance(), 100);
}

}  // namespace
}  // namespace ledger
