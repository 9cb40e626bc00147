// The two ways to drive load, both as coroutines on ONE client thread (the
// one queue of a coro::CompletionQueueThreads(1)), so tens of thousands of
// calls in flight cost suspended frames, not threads.
//
// Closed loop (--concurrency N): N workers, each making its next call as soon
// as its last one returns. A slow server slows the workers down, so it sees
// fewer calls; each call's latency runs from its actual start.
//
// Open loop (--rate R): calls are due on a fixed schedule (constant or
// Poisson arrivals) whatever the server does, and each call's latency runs
// from the moment it was DUE, not from when it got sent. If the server (or
// this client) stalls for a second, every call due in that second reports
// the wait it would have had, instead of the stall being hidden behind a few
// slow calls ("coordinated omission").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>

#include "absl/time/time.h"
#include "client/load/channels.h"
#include "client/load/run_result.h"
#include "client/load/workload.h"
#include "coro/completion_queue_threads.h"

namespace ledger::load {

enum class Loop { kClosed, kOpen };
enum class Arrivals { kConstant, kPoisson };

struct LoadPlan {
  Loop loop = Loop::kClosed;
  int concurrency = 64;                    // closed loop: workers
  double rate = 0;                         // open loop: calls per second
  Arrivals arrivals = Arrivals::kPoisson;  // open loop
  // The open loop's bound on calls in flight. A call due while the bound is
  // reached waits for a slot, and the wait counts in its latency.
  int max_outstanding = 100'000;
  absl::Duration warmup = absl::Seconds(1);  // calls starting (due) in it are not measured
  // Measure for `duration`, or (if `requests` > 0) until that many calls
  // have started after the warmup.
  absl::Duration duration = absl::Seconds(10);
  int64_t requests = 0;
  absl::Duration call_timeout = absl::Seconds(30);
  // Which of the seed's Poisson schedules the open loop follows: 0 is the
  // seed's own; a soak's periods each take the next, so that no two periods
  // see the same arrivals.
  uint64_t arrivals_stream = 0;
};

// The open loop's schedule: when each call is due, in seconds from the
// start. Constant arrivals are exactly 1/rate apart; Poisson gaps are drawn
// from `seed` (--seed, the workload's), by a generator of their own so that
// the open and the closed loop draw the same operations.
class ArrivalSchedule {
 public:
  ArrivalSchedule(Arrivals arrivals, double rate, uint64_t seed, uint64_t stream = 0)
      : arrivals_(arrivals), rate_(rate), random_(seed ^ (stream * 0x9e3779b97f4a7c15)) {}

  // The due time of the next call; the first is due at 0.
  double Next();

 private:
  Arrivals arrivals_;
  double rate_;
  std::mt19937_64 random_;
  int64_t index_ = 0;
  double due_ = 0;
};

// What the progress line shows, read while the run goes on.
struct ProgressSnapshot {
  absl::Duration elapsed;  // since the run started, warmup included
  int64_t completed = 0;   // warmup included
  int64_t errors = 0;
  int in_flight = 0;
};

// Runs `plan` on `client`'s queue 0 with calls spread over `channels`, and
// blocks the calling thread (never a queue thread) until every call has
// ended. Poisson arrivals are seeded as the workload is. `every_second`, if set, is called on the
// calling thread once a second meanwhile.
RunResult RunLoad(const LoadPlan& plan, Workload& workload, Channels& channels,
                  coro::CompletionQueueThreads& client,
                  const std::function<void(const ProgressSnapshot&)>& every_second = {});

}  // namespace ledger::load
