#include "coro/task.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "coro/sync_wait.h"

namespace coro {
namespace {

Task<int> Value(int value) { co_return value; }

Task<int> SumOfTwoAwaits() {
  const int a = co_await Value(20);
  const int b = co_await Value(22);
  co_return a + b;
}

Task<int> Nested(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await Nested(depth - 1);
}

Task<void> MarkStarted(bool& started) {
  started = true;
  co_return;
}

Task<int> Throws() {
  throw std::runtime_error("boom");
  co_return 0;
}

Task<std::string> RethrowsFromNested() {
  const int value = co_await Throws();
  co_return std::to_string(value);
}

Task<std::string> CatchesNested() {
  try {
    co_await Throws();
  } catch (const std::runtime_error& error) {
    co_return std::string("caught ") + error.what();
  }
  co_return "not thrown";
}

Task<std::unique_ptr<int>> MoveOnly() { co_return std::make_unique<int>(7); }

Task<long> LongLoopOfSynchronousAwaits(int iterations) {
  long sum = 0;
  for (int i = 0; i < iterations; ++i) sum += co_await Value(1);
  co_return sum;
}

TEST(Task, ReturnsItsValue) { EXPECT_EQ(SyncWait(Value(42)), 42); }

TEST(Task, AwaitsInSequence) { EXPECT_EQ(SyncWait(SumOfTwoAwaits()), 42); }

TEST(Task, AwaitsNestedTasks) { EXPECT_EQ(SyncWait(Nested(100)), 100); }

TEST(Task, IsLazyUntilAwaited) {
  bool started = false;
  Task<void> task = MarkStarted(started);
  EXPECT_FALSE(started);
  SyncWait(std::move(task));
  EXPECT_TRUE(started);
}

TEST(Task, DestroyingAnUnstartedTaskRunsNothing) {
  bool started = false;
  { Task<void> task = MarkStarted(started); }
  EXPECT_FALSE(started);
}

TEST(Task, PropagatesExceptionToTheAwaiter) {
  EXPECT_THROW(SyncWait(Throws()), std::runtime_error);
}

TEST(Task, PropagatesExceptionThroughNestedAwaits) {
  EXPECT_THROW(SyncWait(RethrowsFromNested()), std::runtime_error);
}

TEST(Task, AwaiterCanCatchTheException) { EXPECT_EQ(SyncWait(CatchesNested()), "caught boom"); }

TEST(Task, AwaitingADefaultConstructedTaskThrowsBrokenPromise) {
  EXPECT_THROW(SyncWait(Task<int>()), BrokenPromise);
  EXPECT_THROW(SyncWait(Task<void>()), BrokenPromise);
}

TEST(Task, AwaitingAMovedFromTaskThrowsBrokenPromise) {
  Task<int> task = Value(1);
  Task<int> moved = std::move(task);
  EXPECT_THROW(SyncWait(std::move(task)), BrokenPromise);
  EXPECT_EQ(SyncWait(std::move(moved)), 1);
}

// The awaiting coroutine catches it like any exception and carries on.
TEST(Task, BrokenPromiseCanBeCaughtInsideACoroutine) {
  auto awaits_empty = []() -> Task<std::string> {
    try {
      co_await Task<void>();
    } catch (const BrokenPromise& error) {
      co_return error.what();
    }
    co_return "not thrown";
  };
  EXPECT_EQ(SyncWait(awaits_empty()), "awaited a coro::Task that has no coroutine");
}

TEST(Task, CarriesMoveOnlyValues) { EXPECT_EQ(*SyncWait(MoveOnly()), 7); }

// Without symmetric transfer every synchronously completing await would nest
// one more resume() on the stack; a million of them would overflow it.
TEST(Task, SymmetricTransferKeepsTheStackFlat) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(__OPTIMIZE__)
  // GCC turns the hand-off into a tail call only in optimized builds without
  // sanitizers (GCC bug 100897); elsewhere the stack does grow per await.
  GTEST_SKIP() << "symmetric transfer is a guaranteed tail call only in optimized builds";
#endif
  EXPECT_EQ(SyncWait(LongLoopOfSynchronousAwaits(1'000'000)), 1'000'000);
}

}  // namespace
}  // namespace coro
