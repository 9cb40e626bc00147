// Microbenchmarks of coro/: what one await costs on each path a server call
// takes, so a change to the library can be weighed in nanoseconds rather than
// guessed from end-to-end load tests. `make bench` builds and runs them.
//
// Google Benchmark's timer reads the CPU clock of the thread that runs the
// state loop. Where the loop itself runs inside a coroutine, the coroutine
// starts and ends it on one thread (the caller's or one queue thread's), so
// both readings come from the same clock.
#include <benchmark/benchmark.h>

#include <stop_token>
#include <utility>

#include "absl/time/time.h"
#include "coro/alarm.h"
#include "coro/async_mutex.h"
#include "coro/cancellation.h"
#include "coro/completion_queue_threads.h"
#include "coro/sync_wait.h"
#include "coro/task.h"
#include "coro/task_group.h"

namespace coro {
namespace {

// Runs `task` on the first queue thread of `queues` and blocks until it ends.
void RunOnQueue(CompletionQueueThreads& queues, Task<void> task, int index = 0) {
  auto on_queue = [](grpc::CompletionQueue* queue, CompletionQueueThreads::KeepAlive,
                     Task<void> inner) -> Task<void> {
    co_await ResumeOn(queue);
    co_await std::move(inner);
  };
  SyncWait(on_queue(queues.queue(index), queues.keep_alive(), std::move(task)));
}

Task<int> ReturnOne() { co_return 1; }

// The floor under every other await in coro/: a nested Task's frame
// allocation, symmetric transfer in and out, and its destruction.
void BM_TaskAwait(benchmark::State& state) {
  SyncWait([](benchmark::State& state) -> Task<void> {
    int sum = 0;
    for (auto _ : state) sum += co_await ReturnOne();
    benchmark::DoNotOptimize(sum);
  }(state));
}
BENCHMARK(BM_TaskAwait);

// What every gRPC operation adds over a plain Task: handing a tag to the
// completion queue and being resumed by the queue thread that takes it back.
void BM_CompletionQueueRoundTrip(benchmark::State& state) {
  CompletionQueueThreads queues(1);
  queues.Start();
  RunOnQueue(queues, [](benchmark::State& state) -> Task<void> {
    for (auto _ : state) co_await ResumeOn(CompletionQueueThreads::Current());
  }(state));
  queues.Shutdown();
}
BENCHMARK(BM_CompletionQueueRoundTrip);

// How late a short sleep wakes: gRPC's timer granularity plus the round trip,
// in wall-clock time since the thread sleeps meanwhile.
void BM_AlarmRoundTrip(benchmark::State& state) {
  const absl::Duration duration = absl::Microseconds(state.range(0));
  CompletionQueueThreads queues(1);
  queues.Start();
  RunOnQueue(queues, [](benchmark::State& state, absl::Duration duration) -> Task<void> {
    for (auto _ : state) co_await Sleep(duration);
  }(state, duration));
  queues.Shutdown();
}
BENCHMARK(BM_AlarmRoundTrip)->Arg(100)->Arg(1000)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The sleep every store wait takes (Sleep with a Cancellation), timed by the
// queue thread itself: how late it wakes, in wall-clock time. Its end rounds
// up to the next millisecond, as a gRPC alarm's does.
void BM_CancellableSleepRoundTrip(benchmark::State& state) {
  const absl::Duration duration = absl::Microseconds(state.range(0));
  CompletionQueueThreads queues(1);
  queues.Start();
  RunOnQueue(queues, [](benchmark::State& state, absl::Duration duration) -> Task<void> {
    std::stop_source stop;
    const Cancellation cancellation(stop.get_token(), absl::InfiniteFuture());
    for (auto _ : state) co_await Sleep(duration, cancellation);
  }(state, duration));
  queues.Shutdown();
}
BENCHMARK(BM_CancellableSleepRoundTrip)
    ->Arg(100)
    ->Arg(1000)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// A zero sleep: what the bookkeeping of one sleep costs (its bucket, its stop
// callback, a turn of the queue thread's loop) without the wait.
void BM_CancellableSleepZero(benchmark::State& state) {
  CompletionQueueThreads queues(1);
  queues.Start();
  RunOnQueue(queues, [](benchmark::State& state) -> Task<void> {
    std::stop_source stop;
    const Cancellation cancellation(stop.get_token(), absl::InfiniteFuture());
    for (auto _ : state) co_await Sleep(absl::ZeroDuration(), cancellation);
  }(state));
  queues.Shutdown();
}
BENCHMARK(BM_CancellableSleepZero);

// The common case for a stream's write lock: nobody else holds it, so Lock()
// takes it without suspending and the guard's unlock finds no waiter.
void BM_AsyncMutexUncontended(benchmark::State& state) {
  AsyncMutex mutex;
  SyncWait([](benchmark::State& state, AsyncMutex& mutex) -> Task<void> {
    for (auto _ : state) {
      AsyncMutex::Guard guard = co_await mutex.Lock();
      benchmark::DoNotOptimize(&guard);
    }
  }(state, mutex));
}
BENCHMARK(BM_AsyncMutexUncontended);

constexpr int kLocksPerContender = 200;

// One contender: holds the mutex across a hop to its own queue, so the others
// queue up behind it and every unlock hands the mutex to a waiter. The hop is
// to its own queue, not the current one: the hand-off resumes a waiter on the
// unlocker's thread, and without it every contender would end on one thread.
Task<void> TakeRepeatedly(grpc::CompletionQueue* home, AsyncMutex& mutex, int& counter) {
  co_await ResumeOn(home);
  for (int i = 0; i < kLocksPerContender; ++i) {
    AsyncMutex::Guard guard = co_await mutex.Lock();
    const int seen = counter;
    co_await ResumeOn(home);
    counter = seen + 1;
  }
}

// The cost of one acquisition when the mutex is always held: the waiter's
// suspension, the FIFO hand-off and its resumption on the other thread, on top
// of the holder's one completion-queue round trip (often across threads).
// An iteration is range(0) contenders on 2 queue threads, kLocksPerContender
// acquisitions each; items/s counts acquisitions. Expect it to vary from run
// to run on a busy machine: the cross-thread wake-ups inside gRPC dominate.
void BM_AsyncMutexContended(benchmark::State& state) {
  const int contenders = static_cast<int>(state.range(0));
  CompletionQueueThreads queues(2);
  queues.Start();
  AsyncMutex mutex;
  int counter = 0;
  for (auto _ : state) {
    RunOnQueue(queues,
               [](CompletionQueueThreads& queues, AsyncMutex& mutex, int& counter,
                  int contenders) -> Task<void> {
                 TaskGroup group(contenders);
                 for (int id = 0; id < contenders; ++id) {
                   co_await group.Spawn(TakeRepeatedly(queues.queue(id % 2), mutex, counter));
                 }
                 co_await group.Join();
               }(queues, mutex, counter, contenders));
  }
  queues.Shutdown();
  const int64_t acquisitions = state.iterations() * contenders * kLocksPerContender;
  // A lost increment means two holders at once: a broken mutex, not a slow one.
  if (counter != acquisitions) state.SkipWithError("the mutex let two holders in");
  state.SetItemsProcessed(acquisitions);
}
BENCHMARK(BM_AsyncMutexContended)
    ->Arg(2)
    ->Arg(16)
    ->UseRealTime()
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace coro

BENCHMARK_MAIN();
