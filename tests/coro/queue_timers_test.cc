// coro::CancellableSleep: sleeps of one completion-queue thread that end in
// the same millisecond share one bucket, which that thread itself resumes,
// no earlier than their end; a stop takes one out early without disturbing
// the others or leaving anything for the thread to wait for.
#include "coro/queue_timers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stop_token>
#include <thread>
#include <vector>

#include "coro/alarm.h"
#include "coro/completion_queue_threads.h"
#include "coro/detached.h"
#include "tests/coro/echo_server.h"

namespace coro {
namespace {

using namespace test_support;  // RunOn, WaitFor

// Long enough that a sleep that was not cut short shows, short enough that
// such a failure does not hang the suite.
constexpr absl::Duration kLongSleep = absl::Seconds(30);

struct Outcome {
  std::atomic<int> woken{0};
  std::atomic<int> slept{0};       // returned true
  std::atomic<int> early{0};       // returned true before their end
  std::atomic<int> off_thread{0};  // resumed on another thread than they slept on
};

Task<void> SleepUntilEnd(absl::Time end, Cancellation cancellation, Outcome& outcome,
                         CompletionQueueThreads::KeepAlive) {
  const std::thread::id thread = std::this_thread::get_id();
  const bool slept = co_await CancellableSleep(end, cancellation);
  if (slept) outcome.slept.fetch_add(1);
  if (slept && absl::Now() < end) outcome.early.fetch_add(1);
  if (std::this_thread::get_id() != thread) outcome.off_thread.fetch_add(1);
  outcome.woken.fetch_add(1);
}

// Starts `ends.size()` sleeps on the queue thread, all before returning.
Task<detail::QueueTimers*> StartSleeps(CompletionQueueThreads& queues, std::vector<absl::Time> ends,
                                       std::vector<Cancellation> cancellations, Outcome& outcome) {
  for (size_t i = 0; i < ends.size(); ++i) {
    Spawn(SleepUntilEnd(ends[i], cancellations[i], outcome, queues.keep_alive()));
  }
  co_return detail::QueueTimers::Current();
}

TEST(CancellableSleep, AThousandSleepsEndingInOneMillisecondShareOneBucket) {
  CompletionQueueThreads queues(1);
  queues.Start();
  Outcome outcome;
  const absl::Time end = absl::Now() + absl::Seconds(3);
  std::stop_source never_stopped;
  detail::QueueTimers* timers = RunOn(
      queues, StartSleeps(queues, std::vector<absl::Time>(1000, end),
                          std::vector<Cancellation>(1000, Cancellation(never_stopped.get_token(),
                                                                       absl::InfiniteFuture())),
                          outcome));
  ASSERT_NE(timers, nullptr);
  EXPECT_EQ(timers->buckets(), 1);
  EXPECT_TRUE(WaitFor([&] { return outcome.woken.load() == 1000; }));
  EXPECT_EQ(outcome.slept.load(), 1000);
  EXPECT_EQ(outcome.early.load(), 0);
  EXPECT_EQ(outcome.off_thread.load(), 0);
  EXPECT_EQ(timers->buckets(), 0);
  queues.Shutdown();
}

TEST(CancellableSleep, EachMillisecondOfEndsHasItsOwnBucket) {
  CompletionQueueThreads queues(1);
  queues.Start();
  Outcome outcome;
  // Whole milliseconds, so each end is the very millisecond of its bucket.
  const absl::Time base = absl::FromUnixMillis(absl::ToUnixMillis(absl::Now())) + absl::Seconds(2);
  std::vector<absl::Time> ends;
  for (int ms : {0, 0, 5, 5, 5, 40}) ends.push_back(base + absl::Milliseconds(ms));
  detail::QueueTimers* timers =
      RunOn(queues, StartSleeps(queues, ends, std::vector<Cancellation>(ends.size()), outcome));
  EXPECT_EQ(timers->buckets(), 3);
  EXPECT_TRUE(WaitFor([&] { return outcome.woken.load() == 6; }));
  EXPECT_EQ(outcome.slept.load(), 6);
  EXPECT_EQ(outcome.early.load(), 0);
  EXPECT_EQ(timers->buckets(), 0);
  queues.Shutdown();
}

// One of two sleeps sharing a bucket is stopped from another thread: it comes
// back at once with false; the other still sleeps to its end.
TEST(CancellableSleep, AStopTakesOneSleepOutOfItsBucketAndLeavesTheOther) {
  CompletionQueueThreads queues(1);
  queues.Start();
  Outcome outcome;
  std::stop_source stopped, running;
  const absl::Time end = absl::Now() + absl::Seconds(5);
  detail::QueueTimers* timers =
      RunOn(queues, StartSleeps(queues, {end, end},
                                {Cancellation(stopped.get_token(), absl::InfiniteFuture()),
                                 Cancellation(running.get_token(), absl::InfiniteFuture())},
                                outcome));
  EXPECT_EQ(timers->buckets(), 1);
  stopped.request_stop();
  EXPECT_TRUE(WaitFor([&] { return outcome.woken.load() == 1; }, absl::Seconds(1)));
  EXPECT_EQ(outcome.slept.load(), 0);
  EXPECT_EQ(timers->buckets(), 1);  // the other one's
  EXPECT_TRUE(WaitFor([&] { return outcome.woken.load() == 2; }));
  EXPECT_EQ(outcome.slept.load(), 1);
  EXPECT_EQ(outcome.early.load(), 0);
  EXPECT_EQ(outcome.off_thread.load(), 0);
  queues.Shutdown();
}

// The last sleep of a bucket stopped: its alarm is cancelled, so shutting the
// queue down does not wait for the sleep's end.
TEST(CancellableSleep, AStoppedLastSleepLeavesNoBucketForShutdownToWaitFor) {
  CompletionQueueThreads queues(1);
  queues.Start();
  Outcome outcome;
  std::stop_source stop;
  detail::QueueTimers* timers =
      RunOn(queues, StartSleeps(queues, {absl::Now() + kLongSleep},
                                {Cancellation(stop.get_token(), absl::InfiniteFuture())}, outcome));
  EXPECT_EQ(timers->buckets(), 1);
  stop.request_stop();
  EXPECT_TRUE(WaitFor([&] { return outcome.woken.load() == 1; }, kLongSleep / 3));
  EXPECT_EQ(timers->buckets(), 0);
  const absl::Time shutting_down = absl::Now();
  queues.Shutdown();
  EXPECT_LT(absl::Now() - shutting_down, kLongSleep / 3);
  EXPECT_EQ(outcome.slept.load(), 0);
}

// A deadline before the end cuts the sleep short at the deadline: false.
TEST(CancellableSleep, ADeadlineBeforeTheEndCutsItShort) {
  CompletionQueueThreads queues(1);
  queues.Start();
  Outcome outcome;
  std::stop_source running;
  const absl::Time start = absl::Now();
  RunOn(queues,
        StartSleeps(queues, {start + kLongSleep},
                    {Cancellation(running.get_token(), start + absl::Milliseconds(50))}, outcome));
  EXPECT_TRUE(WaitFor([&] { return outcome.woken.load() == 1; }, kLongSleep / 3));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(49));
  EXPECT_EQ(outcome.slept.load(), 0);
  queues.Shutdown();
}

// A zero sleep yields to the thread's loop and comes back on the same thread
// with true, leaving no bucket behind.
TEST(CancellableSleep, AZeroSleepYieldsAndReturnsTrue) {
  CompletionQueueThreads queues(1);
  queues.Start();
  std::stop_source running;
  const int slept = RunOn(queues, [](Cancellation cancellation) -> Task<int> {
    const std::thread::id thread = std::this_thread::get_id();
    int count = 0;
    for (int i = 0; i < 1000; ++i) {
      const bool slept = co_await Sleep(absl::ZeroDuration(), cancellation);
      if (slept && std::this_thread::get_id() == thread) ++count;
    }
    EXPECT_EQ(detail::QueueTimers::Current()->buckets(), 0);
    co_return count;
  }(Cancellation(running.get_token(), absl::InfiniteFuture())));
  EXPECT_EQ(slept, 1000);
  queues.Shutdown();
}

}  // namespace
}  // namespace coro
