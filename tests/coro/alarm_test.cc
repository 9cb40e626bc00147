#include "coro/alarm.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "coro/completion_queue_threads.h"
#include "coro/detached.h"
#include "coro/sync_wait.h"
#include "tests/coro/echo_server.h"

namespace coro {
namespace {

struct Woken {
  int id;
  absl::Time at;
  std::thread::id thread;
};

Task<void> SleepThenRecord(grpc::CompletionQueue* queue, absl::Time deadline, int id,
                           std::mutex& mutex, std::vector<Woken>& woken) {
  co_await ResumeOn(queue);
  const bool fired = co_await SleepUntil(deadline);
  EXPECT_TRUE(fired);
  const absl::Time now = absl::Now();
  std::lock_guard lock(mutex);
  woken.push_back({id, now, std::this_thread::get_id()});
}

// Every timer wakes its coroutine no earlier than its deadline, on the thread
// of the queue it was set on. (In which order timers that are all overdue
// come back is gRPC's business: a timer thread that runs late hands them over
// in one batch, so the test does not assert an order.)
TEST(Alarm, TimersWakeNoEarlierThanTheirDeadlineOnTheQueueThread) {
  CompletionQueueThreads queues(1);
  queues.Start();
  std::mutex mutex;
  std::vector<Woken> woken;
  const absl::Time base = absl::Now() + absl::Milliseconds(100);
  const std::vector<int> delays_ms = {120, 20, 80, 0, 40, 160};
  for (int id = 0; id < static_cast<int>(delays_ms.size()); ++id) {
    Spawn(SleepThenRecord(queues.queue(0), base + absl::Milliseconds(delays_ms[id]), id, mutex,
                          woken));
  }
  std::thread::id queue_thread;
  SyncWait([](grpc::CompletionQueue* queue, std::thread::id& id) -> Task<void> {
    co_await ResumeOn(queue);
    id = std::this_thread::get_id();
  }(queues.queue(0), queue_thread));
  EXPECT_TRUE(test_support::WaitFor([&] {
    std::lock_guard lock(mutex);
    return woken.size() == delays_ms.size();
  }));
  queues.Shutdown();

  ASSERT_EQ(woken.size(), delays_ms.size());
  for (const Woken& timer : woken) {
    // gRPC keeps deadlines in whole milliseconds on its own clock.
    EXPECT_GE(timer.at, base + absl::Milliseconds(delays_ms[timer.id] - 2)) << "timer " << timer.id;
    EXPECT_EQ(timer.thread, queue_thread) << "timer " << timer.id;
  }
  EXPECT_NE(queue_thread, std::this_thread::get_id());
}

TEST(Alarm, ResumeOnMovesTheCoroutineToThatQueuesThread) {
  CompletionQueueThreads queues(2);
  queues.Start();
  auto thread_of = [](grpc::CompletionQueue* queue) -> Task<std::thread::id> {
    co_await ResumeOn(queue);
    EXPECT_EQ(CompletionQueueThreads::Current(), queue);
    co_return std::this_thread::get_id();
  };
  const std::thread::id first = SyncWait(thread_of(queues.queue(0)));
  const std::thread::id second = SyncWait(thread_of(queues.queue(1)));
  EXPECT_NE(first, second);
  EXPECT_EQ(SyncWait(thread_of(queues.queue(0))), first);
  EXPECT_EQ(CompletionQueueThreads::Current(), nullptr);
}

struct Census {
  std::atomic<int> suspended{0};
  std::atomic<int> finished{0};
  std::atomic<bool> release{false};
  std::mutex mutex;
  std::vector<std::thread::id> threads;
};

// Each coroutine parks on alarms until released: all of them must be
// suspended at once, on the one queue thread, without a thread of their own.
Task<void> ParkUntilReleased(grpc::CompletionQueue* queue, Census& census) {
  co_await ResumeOn(queue);
  census.suspended.fetch_add(1);
  while (!census.release.load()) co_await Sleep(absl::Milliseconds(50));
  census.suspended.fetch_sub(1);
  {
    std::lock_guard lock(census.mutex);
    census.threads.push_back(std::this_thread::get_id());
  }
  census.finished.fetch_add(1);
}

TEST(Alarm, TenThousandSuspendedCoroutinesOnOneThread) {
  constexpr int kCoroutines = 10'000;
  CompletionQueueThreads queues(1);
  queues.Start();
  Census census;
  for (int i = 0; i < kCoroutines; ++i) Spawn(ParkUntilReleased(queues.queue(0), census));
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (census.suspended.load() < kCoroutines && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(census.suspended.load(), kCoroutines);
  census.release.store(true);
  while (census.finished.load() < kCoroutines && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  queues.Shutdown();
  EXPECT_EQ(census.finished.load(), kCoroutines);
  ASSERT_EQ(census.threads.size(), static_cast<size_t>(kCoroutines));
  for (const auto& thread : census.threads) ASSERT_EQ(thread, census.threads.front());
}

}  // namespace
}  // namespace coro
