#include "coro/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "coro/completion_queue_threads.h"
#include "coro/detached.h"
#include "coro/task_group.h"
#include "tests/coro/echo_server.h"

namespace coro {
namespace {

using namespace test_support;  // the shared echo server and helpers

struct Where {
  std::thread::id thread;
  grpc::CompletionQueue* queue = nullptr;
};

Where Here() { return {std::this_thread::get_id(), CompletionQueueThreads::Current()}; }

TEST(ThreadPool, OffloadRunsOnAWorkerAndResumesOnTheCallersQueueThread) {
  CompletionQueueThreads queues(2);
  queues.Start();
  ThreadPool pool(2);
  const int64_t baseline = LiveCoroutineFrames();
  for (int index = 0; index < queues.size(); ++index) {
    Where before, worker, after;
    const int value = RunOn(
        queues,
        [&]() -> Task<int> {
          before = Here();
          const int result = co_await Offload(pool, [&] {
            worker = Here();
            return 42;
          });
          after = Here();
          co_return result;
        }(),
        index);
    EXPECT_EQ(value, 42);
    EXPECT_EQ(before.queue, queues.queue(index));
    EXPECT_EQ(worker.queue, nullptr) << "the work ran on a queue thread";
    EXPECT_NE(worker.thread, before.thread);
    EXPECT_NE(worker.thread, std::this_thread::get_id());
    EXPECT_EQ(after.thread, before.thread);
    EXPECT_EQ(after.queue, queues.queue(index));
  }
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

TEST(ThreadPool, OffloadOfVoidWorkAndOfAMoveOnlyResult) {
  CompletionQueueThreads queues(1);
  queues.Start();
  ThreadPool pool(1);
  std::atomic<bool> ran{false};
  const std::unique_ptr<std::string> result =
      RunOn(queues, [&]() -> Task<std::unique_ptr<std::string>> {
        co_await Offload(pool, [&] { ran = true; });
        co_return co_await Offload(pool, [] { return std::make_unique<std::string>("moved"); });
      }());
  EXPECT_TRUE(ran.load());
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(*result, "moved");
}

TEST(ThreadPool, TheWorksExceptionIsRethrownOnTheCallersQueueThread) {
  CompletionQueueThreads queues(1);
  queues.Start();
  ThreadPool pool(1);
  const int64_t baseline = LiveCoroutineFrames();
  Where before, caught_at;
  std::string message;
  RunOn(queues, [&]() -> Task<void> {
    before = Here();
    try {
      co_await Offload(pool, []() -> int { throw std::invalid_argument("bad input"); });
    } catch (const std::invalid_argument& error) {
      caught_at = Here();
      message = error.what();
    }
  }());
  EXPECT_EQ(message, "bad input");
  EXPECT_EQ(caught_at.thread, before.thread);
  EXPECT_EQ(caught_at.queue, queues.queue(0));
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// The work does not end until a ticker on the caller's own queue thread has
// ticked 20 more times: it would wait forever (well, until it gives up) if
// the caller's thread were blocked in the Offload.
TEST(ThreadPool, ALongOffloadLeavesTheQueueThreadFree) {
  constexpr int kTicks = 20;
  CompletionQueueThreads queues(1);
  queues.Start();
  ThreadPool pool(1);
  const int64_t baseline = LiveCoroutineFrames();
  std::atomic<int> ticks{0};
  std::atomic<bool> stop_ticking{false};
  int ticks_during_work = -1;
  auto ticker = [&]() -> Task<void> {
    while (!stop_ticking.load()) {
      co_await Sleep(absl::Milliseconds(1));
      ++ticks;
    }
  };
  auto offloader = [&]() -> Task<void> {
    ticks_during_work = co_await Offload(pool, [&] {
      const int first = ticks.load();
      WaitFor([&] { return ticks.load() >= first + kTicks; });
      return ticks.load() - first;
    });
    stop_ticking = true;
  };
  RunOn(queues, [&]() -> Task<void> {
    TaskGroup group(2);
    co_await group.Spawn(ticker());
    co_await group.Spawn(offloader());
    co_await group.Join();
  }());
  EXPECT_GE(ticks_during_work, kTicks);
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// Each work item waits until all of them run at once, which only happens if
// every worker has taken one.
TEST(ThreadPool, OffloadsRunInParallelOnEveryWorker) {
  constexpr int kWorkers = 4;
  CompletionQueueThreads queues(1);
  queues.Start();
  ThreadPool pool(kWorkers);
  EXPECT_EQ(pool.size(), kWorkers);
  const int64_t baseline = LiveCoroutineFrames();
  std::atomic<int> running{0};
  std::mutex mutex;
  std::set<std::thread::id> workers;
  std::atomic<int> all_together{0};
  auto work = [&]() -> Task<void> {
    const bool together = co_await Offload(pool, [&] {
      {
        std::lock_guard lock(mutex);
        workers.insert(std::this_thread::get_id());
      }
      ++running;
      return WaitFor([&] { return running.load() == kWorkers; });
    });
    if (together) ++all_together;
  };
  RunOn(queues, [&]() -> Task<void> {
    TaskGroup group(kWorkers);
    for (int i = 0; i < kWorkers; ++i) co_await group.Spawn(work());
    co_await group.Join();
  }());
  EXPECT_EQ(all_together.load(), kWorkers);
  EXPECT_EQ(workers.size(), static_cast<size_t>(kWorkers));
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// The destructor runs what is already queued before it joins the workers.
// Off a queue thread there is no home to return to, so the coroutines end
// on the worker.
TEST(ThreadPool, DestructionRunsTheWorkAlreadyQueued) {
  const int64_t baseline = LiveCoroutineFrames();
  std::atomic<bool> first_running{false};
  std::atomic<bool> release_first{false};
  std::atomic<bool> second_ran{false};
  {
    ThreadPool pool(1);
    Spawn(Offload(
        pool,
        [&] {
          first_running = true;
          WaitFor([&] { return release_first.load(); });
        },
        nullptr));
    ASSERT_TRUE(WaitFor([&] { return first_running.load(); }));
    // Queued behind the first, on the only worker.
    Spawn(Offload(
        pool, [&] { second_ran = true; }, nullptr));
    release_first = true;
  }
  EXPECT_TRUE(second_ran.load());
  EXPECT_EQ(LiveCoroutineFrames(), baseline);
}

}  // namespace
}  // namespace coro
