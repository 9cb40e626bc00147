#include "coro/task_group.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "coro/alarm.h"
#include "coro/completion_queue_threads.h"
#include "coro/sync_wait.h"
#include "tests/coro/echo_server.h"

namespace coro {
namespace {

using namespace test_support;  // the shared echo server and helpers

struct Children {
  std::atomic<int> running{0};
  std::atomic<int> most_running{0};
  std::atomic<int> finished{0};
};

Task<void> Child(Children& children, absl::Duration work) {
  RaiseTo(children.most_running, ++children.running);
  co_await Sleep(work);
  --children.running;
  ++children.finished;
}

// The parent spawns faster than children finish, so Spawn must hold it back:
// when its k-th Spawn returns, at least k - max_in_flight + 1 children are done.
TEST(TaskGroup, NeverRunsMoreThanMaxInFlightChildren) {
  constexpr int kChildren = 20;
  constexpr int kMaxInFlight = 3;
  CompletionQueueThreads queues(1);
  queues.Start();
  const int64_t baseline = LiveCoroutineFrames();
  Children children;
  std::vector<int> finished_when_spawned;
  int finished_after_join = -1;
  RunOn(queues, [&]() -> Task<void> {
    TaskGroup group(kMaxInFlight);
    for (int i = 0; i < kChildren; ++i) {
      co_await group.Spawn(Child(children, absl::Milliseconds(2)));
      finished_when_spawned.push_back(children.finished.load());
    }
    co_await group.Join();
    finished_after_join = children.finished.load();
  }());

  EXPECT_EQ(children.most_running.load(), kMaxInFlight);
  EXPECT_EQ(finished_after_join, kChildren);
  EXPECT_EQ(children.running.load(), 0);
  ASSERT_EQ(finished_when_spawned.size(), static_cast<size_t>(kChildren));
  for (int k = 0; k < kChildren; ++k) {
    EXPECT_GE(finished_when_spawned[k], std::max(0, k - kMaxInFlight + 1)) << "spawn " << k;
  }
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// Children that finish on other threads than the parent's, at different
// times: Join returns only after the last of them, wherever it finished.
TEST(TaskGroup, JoinWaitsForEveryChildOnAnyThread) {
  constexpr int kChildren = 40;
  CompletionQueueThreads queues(2);
  queues.Start();
  const int64_t baseline = LiveCoroutineFrames();
  Children children;
  int finished_after_join = -1;
  auto child_on = [&children](grpc::CompletionQueue* queue, int i) -> Task<void> {
    co_await ResumeOn(queue);
    co_await Child(children, absl::Milliseconds(1 + i % 7));
  };
  RunOn(queues, [&]() -> Task<void> {
    TaskGroup group(kChildren);
    for (int i = 0; i < kChildren; ++i) co_await group.Spawn(child_on(queues.queue(i % 2), i));
    co_await group.Join();
    finished_after_join = children.finished.load();
  }());
  EXPECT_EQ(finished_after_join, kChildren);
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

TEST(TaskGroup, JoinOfAnEmptyGroupReturnsAtOnce) {
  const int64_t baseline = LiveCoroutineFrames();
  bool joined = false;
  SyncWait([](bool& joined) -> Task<void> {
    TaskGroup group(1);
    co_await group.Join();
    joined = true;
  }(joined));
  EXPECT_TRUE(joined);
  EXPECT_EQ(LiveCoroutineFrames(), baseline);
}

Task<void> FailAtOnce(std::string what) {
  throw std::runtime_error(what);
  co_return;
}

Task<void> FailLater(std::string what, Children& children) {
  co_await Child(children, absl::Milliseconds(5));
  throw std::runtime_error(what);
}

// Child 1 fails before it first suspends, child 3 only after a sleep, so
// child 1's failure is the first; Join still waits for every child, then
// rethrows it.
TEST(TaskGroup, JoinRethrowsTheFirstChildsException) {
  CompletionQueueThreads queues(1);
  queues.Start();
  const int64_t baseline = LiveCoroutineFrames();
  Children children;
  std::string rethrown;
  int finished_at_rethrow = -1;
  RunOn(queues, [&]() -> Task<void> {
    TaskGroup group(4);
    co_await group.Spawn(Child(children, absl::Milliseconds(10)));
    co_await group.Spawn(FailAtOnce("first"));
    co_await group.Spawn(Child(children, absl::Milliseconds(20)));
    co_await group.Spawn(FailLater("second", children));
    try {
      co_await group.Join();
    } catch (const std::runtime_error& error) {
      rethrown = error.what();
      finished_at_rethrow = children.finished.load();
    }
  }());
  EXPECT_EQ(rethrown, "first");
  EXPECT_EQ(finished_at_rethrow, 3);
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

}  // namespace
}  // namespace coro
