#include "coro/async_mutex.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "coro/alarm.h"
#include "coro/completion_queue_threads.h"
#include "coro/detached.h"
#include "coro/sync_wait.h"
#include "coro/task_group.h"
#include "tests/coro/echo_server.h"

namespace coro {
namespace {

using namespace test_support;  // the shared echo server and helpers

TEST(AsyncMutex, TryLockFailsWhileHeldAndSucceedsOnceUnlocked) {
  AsyncMutex mutex;
  EXPECT_TRUE(mutex.TryLock());
  EXPECT_FALSE(mutex.TryLock());
  mutex.Unlock();
  EXPECT_TRUE(mutex.TryLock());
  mutex.Unlock();
}

// A free mutex is taken without suspending, so even a thread that is not a
// queue thread can take it; the guard unlocks it, and moving the guard moves
// that duty with it.
TEST(AsyncMutex, GuardHoldsTheLockUntilItsLastOwnerGoes) {
  const int64_t baseline = LiveCoroutineFrames();
  AsyncMutex mutex;
  SyncWait([](AsyncMutex& mutex) -> Task<void> {
    {
      AsyncMutex::Guard first = co_await mutex.Lock();
      EXPECT_FALSE(mutex.TryLock());
      {
        AsyncMutex::Guard second = std::move(first);
        EXPECT_FALSE(mutex.TryLock());
      }
      // `second` unlocked it; `first`, moved from, must not unlock again.
      EXPECT_TRUE(mutex.TryLock());
    }
    EXPECT_FALSE(mutex.TryLock());
    mutex.Unlock();
  }(mutex));
  EXPECT_TRUE(mutex.TryLock());
  mutex.Unlock();
  EXPECT_EQ(LiveCoroutineFrames(), baseline);
}

// What the contenders did, in the order they did it (all on one thread).
struct Contest {
  std::vector<int> requested;
  std::vector<int> acquired;
  int holders = 0;
  int most_holders = 0;
  int requests_before_first_release = 0;
};

Task<void> HoldAcrossASleep(AsyncMutex& mutex, Contest& contest, int id) {
  contest.requested.push_back(id);
  AsyncMutex::Guard guard = co_await mutex.Lock();
  contest.acquired.push_back(id);
  contest.most_holders = std::max(contest.most_holders, ++contest.holders);
  co_await Sleep(absl::Milliseconds(1));
  --contest.holders;
}

// All contenders run on one queue thread and each holds the mutex across an
// alarm: if waiting for the mutex blocked the thread, nothing could ever
// release it. The waiters are served first come, first served.
TEST(AsyncMutex, WaitersOnOneThreadAcquireInTheOrderTheyAsked) {
  constexpr int kContenders = 50;
  CompletionQueueThreads queues(1);
  queues.Start();
  const int64_t baseline = LiveCoroutineFrames();
  AsyncMutex mutex;
  Contest contest;
  RunOn(queues, [&]() -> Task<void> {
    TaskGroup group(kContenders + 1);
    {
      AsyncMutex::Guard first = co_await mutex.Lock();
      // Spawned in id order; each runs until it suspends in Lock().
      for (int id = 0; id < kContenders; ++id) {
        co_await group.Spawn(HoldAcrossASleep(mutex, contest, id));
      }
      co_await Sleep(absl::Milliseconds(5));
      contest.requests_before_first_release = static_cast<int>(contest.requested.size());
      EXPECT_TRUE(contest.acquired.empty());
    }
    co_await group.Join();
  }());

  std::vector<int> in_order(kContenders);
  for (int id = 0; id < kContenders; ++id) in_order[id] = id;
  EXPECT_EQ(contest.requests_before_first_release, kContenders);
  EXPECT_EQ(contest.requested, in_order);
  EXPECT_EQ(contest.acquired, in_order);
  EXPECT_EQ(contest.most_holders, 1);
  EXPECT_TRUE(mutex.TryLock());
  mutex.Unlock();
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// Contenders on two threads hold the mutex across a hop to the other
// thread, in the middle of a read-modify-write of a plain int: any overlap
// would lose an increment.
TEST(AsyncMutex, ExcludesAcrossAwaitsAndThreads) {
  constexpr int kContenders = 200;
  CompletionQueueThreads queues(2);
  queues.Start();
  const int64_t baseline = LiveCoroutineFrames();
  AsyncMutex mutex;
  int counter = 0;
  std::atomic<int> holders{0};
  std::atomic<int> most_holders{0};
  auto increment = [&](int id) -> Task<void> {
    co_await ResumeOn(queues.queue(id % 2));
    AsyncMutex::Guard guard = co_await mutex.Lock();
    RaiseTo(most_holders, ++holders);
    const int seen = counter;
    co_await ResumeOn(queues.queue((id + 1) % 2));
    counter = seen + 1;
    --holders;
  };
  RunOn(queues, [&]() -> Task<void> {
    TaskGroup group(kContenders);
    for (int id = 0; id < kContenders; ++id) co_await group.Spawn(increment(id));
    co_await group.Join();
  }());
  EXPECT_EQ(counter, kContenders);
  EXPECT_EQ(most_holders.load(), 1);
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

}  // namespace
}  // namespace coro
