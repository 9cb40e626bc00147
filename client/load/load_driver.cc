#include "client/load/load_driver.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "absl/time/clock.h"
#include "client/load/operation_call.h"
#include "coro/alarm.h"
#include "coro/detached.h"
#include "coro/task.h"
#include "coro/task_group.h"

namespace ledger::load {
namespace {

// Latencies come from the monotonic clock; only the alarms that wait for a
// due time speak absl::Time, converted at the last moment.
using Clock = std::chrono::steady_clock;

absl::Time ToAbslTime(Clock::time_point time) {
  return absl::Now() + absl::FromChrono(time - Clock::now());
}

// One run's state. Everything but the atomics is touched only on the client
// thread, where every coroutine of the run resumes.
class LoadRun {
 public:
  LoadRun(const LoadPlan& plan, Workload& workload, Channels& channels)
      : plan_(plan), workload_(workload), channels_(channels) {}

  coro::Task<void> Drive();

  ProgressSnapshot Snapshot(Clock::time_point started) const {
    return {absl::FromChrono(Clock::now() - started), completed_.load(std::memory_order_relaxed),
            errors_.load(std::memory_order_relaxed),
            in_flight_now_.load(std::memory_order_relaxed)};
  }
  RunResult TakeResult() { return std::move(result_); }

 private:
  coro::Task<void> ClosedLoop();
  coro::Task<void> Worker();
  coro::Task<void> OpenLoop();
  coro::Task<void> Call(Operation operation, Clock::time_point due);
  bool ClaimStart(Clock::time_point due);

  const LoadPlan& plan_;
  Workload& workload_;
  Channels& channels_;
  Clock::time_point start_;
  Clock::time_point measure_from_;  // the end of the warmup
  Clock::time_point stop_at_;       // no call starts (is due) at or after it
  Clock::time_point last_completion_;
  int64_t measured_started_ = 0;
  int in_flight_ = 0;
  RunResult result_;
  // For the progress line, read from the caller's thread.
  std::atomic<int64_t> completed_{0};
  std::atomic<int64_t> errors_{0};
  std::atomic<int> in_flight_now_{0};
};

coro::Task<void> LoadRun::Drive() {
  start_ = Clock::now();
  measure_from_ = start_ + absl::ToChronoNanoseconds(plan_.warmup);
  stop_at_ = plan_.requests > 0 ? Clock::time_point::max()
                                : measure_from_ + absl::ToChronoNanoseconds(plan_.duration);
  last_completion_ = measure_from_;
  if (plan_.loop == Loop::kClosed) {
    co_await ClosedLoop();
  } else {
    co_await OpenLoop();
  }
  // A --requests run's window ends with its last call; a timed run's is the
  // --duration it was given.
  result_.window_seconds =
      plan_.requests > 0 ? std::chrono::duration<double>(last_completion_ - measure_from_).count()
                         : absl::ToDoubleSeconds(plan_.duration);
}

bool LoadRun::ClaimStart(Clock::time_point due) {
  if (due < measure_from_) return true;  // warmup calls spend no budget
  if (plan_.requests > 0) return measured_started_++ < plan_.requests;
  return due < stop_at_;
}

coro::Task<void> LoadRun::ClosedLoop() {
  coro::TaskGroup workers(plan_.concurrency);
  for (int i = 0; i < plan_.concurrency; ++i) co_await workers.Spawn(Worker());
  co_await workers.Join();
}

coro::Task<void> LoadRun::Worker() {
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (!ClaimStart(now)) co_return;
    co_await Call(workload_.Next(), now);
  }
}

coro::Task<void> LoadRun::OpenLoop() {
  coro::TaskGroup calls(plan_.max_outstanding);
  ArrivalSchedule schedule(plan_.arrivals, plan_.rate, workload_.seed(), plan_.arrivals_stream);
  // Due times are offsets from the start in double seconds, so that
  // rounding does not drift the rate over a long run.
  auto next_due = [&] {
    return start_ + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(schedule.Next()));
  };
  int started_without_waiting = 0;
  for (Clock::time_point due = next_due(); ClaimStart(due); due = next_due()) {
    if (due > Clock::now()) {
      co_await coro::SleepUntil(ToAbslTime(due));
      started_without_waiting = 0;
    } else if (++started_without_waiting == 64) {
      // Behind schedule (a burst, a stall, or this client is saturated):
      // let completions in before starting more. An alarm already due would
      // not do: a completion queue only reads its sockets when nothing is
      // ready, so a loop that always leaves a ready event behind never sees
      // a response, falls further behind, and the run collapses. An alarm
      // due in the future empties the queue, and the thread polls until it
      // fires (within a millisecond, gRPC's timer granularity).
      started_without_waiting = 0;
      co_await coro::Sleep(absl::Microseconds(1));
    }
    // Waits while max_outstanding calls are in flight; `due` stays put, so
    // the wait is part of the call's latency.
    co_await calls.Spawn(Call(workload_.Next(), due));
  }
  co_await calls.Join();
}

coro::Task<void> LoadRun::Call(Operation operation, Clock::time_point due) {
  ++in_flight_;
  result_.peak_in_flight = std::max(result_.peak_in_flight, in_flight_);
  in_flight_now_.store(in_flight_, std::memory_order_relaxed);
  const CallOutcome outcome =
      co_await CallOperation(channels_.Next(), operation, plan_.call_timeout);
  const grpc::StatusCode code = outcome.code;
  const Clock::time_point end = Clock::now();
  --in_flight_;
  in_flight_now_.store(in_flight_, std::memory_order_relaxed);
  completed_.fetch_add(1, std::memory_order_relaxed);
  if (code != grpc::StatusCode::OK) errors_.fetch_add(1, std::memory_order_relaxed);

  if (end >= measure_from_ && end <= stop_at_) ++result_.completed_in_window;
  last_completion_ = std::max(last_completion_, end);
  if (due < measure_from_) {
    ++result_.warmup_calls;
    co_return;
  }
  result_.Record(operation.index(), code,
                 std::chrono::duration_cast<std::chrono::nanoseconds>(end - due).count(),
                 outcome.message);
}

}  // namespace

double ArrivalSchedule::Next() {
  const double index = static_cast<double>(index_++);
  // Constant: the index over the rate, not a running sum of 1/rate, so that
  // rate x duration calls fall in the measured window exactly.
  if (arrivals_ == Arrivals::kConstant) return index / rate_;
  if (index > 0) due_ += std::exponential_distribution<double>(rate_)(random_);
  return due_;
}

RunResult RunLoad(const LoadPlan& plan, Workload& workload, Channels& channels,
                  coro::CompletionQueueThreads& client,
                  const std::function<void(const ProgressSnapshot&)>& every_second) {
  LoadRun run(plan, workload, channels);
  std::mutex mutex;
  std::condition_variable changed;
  bool finished = false;
  // A named lambda: its captures must outlive the coroutine, which ends
  // before `finished` lets this function return.
  auto drive = [&]() -> coro::Detached {
    co_await coro::ResumeOn(client.queue(0));
    co_await run.Drive();
    std::lock_guard lock(mutex);
    finished = true;
    changed.notify_one();
  };
  const Clock::time_point started = Clock::now();
  drive();
  std::unique_lock lock(mutex);
  while (!changed.wait_for(lock, std::chrono::seconds(1), [&] { return finished; })) {
    if (!every_second) continue;
    lock.unlock();
    every_second(run.Snapshot(started));
    lock.lock();
  }
  return run.TakeResult();
}

}  // namespace ledger::load
