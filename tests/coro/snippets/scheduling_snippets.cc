// The examples in coro/async_mutex.h and coro/thread_pool.h, compiled and run
// on a completion-queue thread. Each region between snippet markers is copied
// verbatim into a header comment.
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "absl/time/time.h"
#include "coro/alarm.h"
#include "coro/async_mutex.h"
#include "coro/completion_queue_threads.h"
#include "coro/task.h"
#include "coro/task_group.h"
#include "coro/thread_pool.h"
#include "tests/coro/echo_server.h"

namespace snippets {
namespace {

using coro::test_support::RunOn;

coro::Task<void> Add(coro::AsyncMutex& mutex, int& total, int amount) {
  // snippet: async-mutex
  coro::AsyncMutex::Guard guard = co_await mutex.Lock();
  const int before = total;
  co_await coro::Sleep(absl::Milliseconds(1));  // still held: nobody else changes `total`
  total = before + amount;
  // unlocked when `guard` goes out of scope
  // end snippet
}

// Without the mutex every adder would read `total` before any had written it.
TEST(Snippets, AsyncMutexIsHeldAcrossAnAwait) {
  coro::CompletionQueueThreads queues(1);
  queues.Start();
  coro::AsyncMutex mutex;
  int total = 0;
  RunOn(queues, [&]() -> coro::Task<void> {
    coro::TaskGroup group(10);
    for (int i = 0; i < 10; ++i) co_await group.Spawn(Add(mutex, total, 1));
    co_await group.Join();
  }());
  EXPECT_EQ(total, 10);
}

coro::Task<int64_t> SumOnAWorker(coro::ThreadPool& pool, const std::vector<int64_t>& numbers) {
  // snippet: offload
  const int64_t sum = co_await coro::Offload(
      pool, [&] { return std::accumulate(numbers.begin(), numbers.end(), int64_t{0}); });
  // end snippet
  co_return sum;
}

TEST(Snippets, OffloadComputesOnAWorker) {
  coro::CompletionQueueThreads queues(1);
  queues.Start();
  coro::ThreadPool pool(2);
  std::vector<int64_t> numbers(1000);
  std::iota(numbers.begin(), numbers.end(), int64_t{1});
  EXPECT_EQ(RunOn(queues, SumOnAWorker(pool, numbers)), 500500);
}

}  // namespace
}  // namespace snippets
