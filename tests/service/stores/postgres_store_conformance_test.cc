// The store contract on PostgreSQL (the throwaway cluster of the CTest
// fixture `postgres`, at LEDGER_TEST_POSTGRES_DSN), called the ways the server
// calls it: coroutine mode's AsyncPool with many calls suspended in the store
// at once on completion-queue threads, thread mode's BlockingPool from blocked
// threads, and both at once on one database, as ledger-server --mode=both
// runs them. The suite is the same that the embedded store passes. Then each
// pool's wait for a free connection, cut short by a cancelled call.
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "coro/completion_queue_threads.h"
#include "coro/fd_poller.h"
#include "coro/sync_wait.h"
#include "service/stores/postgres/connection_pool.h"
#include "service/stores/postgres/database.h"
#include "service/stores/postgres/postgres_store.h"
#include "tests/service/stores/by_calling_thread.h"
#include "tests/service/stores/store_conformance.h"

namespace ledger::conformance {
namespace {

constexpr int kPoolSize = 8;
constexpr int kQueueThreads = 2;
constexpr int kBlockedThreads = 8;

// The test cluster's DSN, with its schema in place (made once per process).
const std::string& Dsn() {
  static const std::string* const dsn = [] {
    const char* from_environment = std::getenv("LEDGER_TEST_POSTGRES_DSN");
    return new std::string(from_environment ? from_environment : "");
  }();
  static std::once_flag schema_made;
  std::call_once(schema_made, [] {
    if (dsn->empty()) return;
    const absl::Status ready =
        postgres::PrepareDatabase(*dsn, absl::Seconds(30), [](const std::string&) {});
    if (!ready.ok()) ADD_FAILURE() << "cannot prepare the test database: " << ready;
  });
  if (dsn->empty()) {
    ADD_FAILURE() << "LEDGER_TEST_POSTGRES_DSN is not set: run this test through ctest (its "
                     "fixture starts a cluster), or start one with make postgres and export "
                     "the DSN it prints";
  }
  return *dsn;
}

class CoroutineMode final : public StoreHarness {
 public:
  CoroutineMode() { queues_.Start(); }
  LedgerStore& store() override { return store_; }
  void RunAll(std::vector<coro::Task<void>> tasks) override {
    RunOnQueues(queues_, std::move(tasks));
  }

 private:
  coro::FdPoller poller_;
  postgres::AsyncPool pool_{Dsn(), kPoolSize, poller_, nullptr};
  postgres::PostgresStore store_{pool_};
  coro::CompletionQueueThreads queues_{kQueueThreads};  // last: stops before the pool goes
};

class ThreadMode final : public StoreHarness {
 public:
  LedgerStore& store() override { return store_; }
  void RunAll(std::vector<coro::Task<void>> tasks) override {
    RunOnThreads(std::move(tasks), kBlockedThreads);
  }

 private:
  postgres::BlockingPool pool_{Dsn(), kPoolSize, nullptr};
  postgres::PostgresStore store_{pool_};
};

// Both modes' pools on one database: the tasks alternate between coroutines
// on the queues and blocked threads, and the two halves run at the same time.
class BothModes final : public StoreHarness {
 public:
  BothModes() { queues_.Start(); }
  LedgerStore& store() override { return by_calling_thread_; }
  void RunAll(std::vector<coro::Task<void>> tasks) override {
    RunOnQueuesAndThreads(queues_, kBlockedThreads, std::move(tasks), next_);
  }

 private:
  coro::FdPoller poller_;
  postgres::AsyncPool async_pool_{Dsn(), kPoolSize, poller_, nullptr};
  postgres::BlockingPool blocking_pool_{Dsn(), kPoolSize, nullptr};
  postgres::PostgresStore coroutine_{async_pool_};
  postgres::PostgresStore thread_{blocking_pool_};
  ByCallingThread by_calling_thread_{coroutine_, thread_};
  unsigned next_ = 0;
  coro::CompletionQueueThreads queues_{kQueueThreads};
};

template <typename Harness>
std::unique_ptr<StoreHarness> Make() {
  return std::make_unique<Harness>();
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance,
                         ::testing::Values(StoreFactory{"CoroutineMode", Make<CoroutineMode>},
                                           StoreFactory{"ThreadMode", Make<ThreadMode>},
                                           StoreFactory{"BothModes", Make<BothModes>}),
                         StoreFactoryName);

// A call waiting for a free connection: cancelled after kCancelAfter, with a
// deadline of kWaitDeadline, while the pool's only connection stays leased.
constexpr absl::Duration kCancelAfter = absl::Milliseconds(200);
constexpr absl::Duration kWaitDeadline = absl::Seconds(30);

struct PoolWait {
  absl::Status held;
  absl::Status waited;
  absl::Duration took;
};

coro::Task<void> HoldTheOnlyConnectionAndWaitForAnother(postgres::ConnectionPool& pool,
                                                        std::stop_token stop, PoolWait& seen) {
  absl::StatusOr<postgres::ConnectionPool::Lease> held =
      co_await pool.Acquire(coro::Cancellation());
  seen.held = held.status();
  if (!held.ok()) co_return;
  const absl::Time start = absl::Now();
  absl::StatusOr<postgres::ConnectionPool::Lease> waited =
      co_await pool.Acquire(coro::Cancellation(std::move(stop), start + kWaitDeadline));
  seen.took = absl::Now() - start;
  seen.waited = waited.status();
}

// The wait ends CANCELLED when the call is cancelled, not when a connection
// frees or the deadline passes.
void ExpectTheWaitEndedByTheCancel(const PoolWait& seen) {
  ASSERT_TRUE(seen.held.ok()) << seen.held;
  EXPECT_EQ(seen.waited.code(), absl::StatusCode::kCancelled) << seen.waited;
  EXPECT_LT(seen.took, kWaitDeadline / 3);
}

TEST(PostgresPool, ThreadModesWaitForAConnectionEndsWhenTheCallIsCancelled) {
  postgres::BlockingPool pool(Dsn(), 1, nullptr);
  std::stop_source stop;
  std::thread canceller([&stop] {
    absl::SleepFor(kCancelAfter);
    stop.request_stop();
  });
  PoolWait seen;
  coro::SyncWait(HoldTheOnlyConnectionAndWaitForAnother(pool, stop.get_token(), seen));
  canceller.join();
  ExpectTheWaitEndedByTheCancel(seen);
}

TEST(PostgresPool, CoroutineModesWaitForAConnectionEndsWhenTheCallIsCancelled) {
  coro::FdPoller poller;
  postgres::AsyncPool pool(Dsn(), 1, poller, nullptr);
  coro::CompletionQueueThreads queues(1);  // last: stops before the pool goes
  queues.Start();
  std::stop_source stop;
  std::thread canceller([&stop] {
    absl::SleepFor(kCancelAfter);
    stop.request_stop();
  });
  PoolWait seen;
  std::vector<coro::Task<void>> tasks;
  tasks.push_back(HoldTheOnlyConnectionAndWaitForAnother(pool, stop.get_token(), seen));
  RunOnQueues(queues, std::move(tasks));
  canceller.join();
  ExpectTheWaitEndedByTheCancel(seen);
}

}  // namespace
}  // namespace ledger::conformance
