// The load plan's flags: closed loop (--concurrency) or open loop (--rate and
// how calls arrive), and how much is measured.
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/load/options.h"

ABSL_FLAG(int, concurrency, 64,
          "Closed loop: calls in flight, each made as soon as the previous one returns. All "
          "wait as coroutines on one client thread. With --soak: per mode.");
ABSL_FLAG(double, rate, 0,
          "Open loop: calls per second on a fixed schedule, whatever the server does; latency "
          "counts from each call's due time, so stalls are not hidden. 0 means closed loop. "
          "With --soak: per mode, each period's schedule starting when its period does.");
ABSL_FLAG(std::string, arrivals, "poisson",
          "Open loop: how calls are spaced, poisson (random gaps, as independent users "
          "arrive) or constant (exactly 1/rate apart).");
ABSL_FLAG(int, max_outstanding, 100'000,
          "Open loop: most calls in flight; a call due beyond waits for a slot, and the wait "
          "counts in its latency.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "How long to measure, after the warmup. With --compare: per mode and level. With "
          "--soak: the whole soak's load, both modes at once (e.g. 10m, 90s).");
ABSL_FLAG(int64_t, requests, 0,
          "Measure this many calls (started after the warmup) instead of a --duration.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1),
          "Load before measuring, excluded from the results (connections, caches and threads "
          "warm up). With --compare: before every slice. Not with --soak, whose first third is "
          "its warm-up.");
ABSL_FLAG(absl::Duration, call_timeout, absl::Seconds(30),
          "Deadline of each call; one that passes counts as DeadlineExceeded.");

namespace ledger::load {
namespace {

// The loop's shape: how many calls, started when.
void ReadLoopFlags(const CommandLine& command_line, LoadPlan& plan, FlagErrors& errors) {
  plan.rate = absl::GetFlag(FLAGS_rate);
  plan.loop = plan.rate > 0 ? Loop::kOpen : Loop::kClosed;
  if (!(plan.rate >= 0 && plan.rate <= 10'000'000)) {
    errors.push_back(
        absl::StrCat("--rate=", plan.rate, " must be 0 (closed loop) to 10000000 calls/s"));
  }
  plan.concurrency = absl::GetFlag(FLAGS_concurrency);
  if (plan.concurrency < 1 || plan.concurrency > 1'000'000) {
    errors.push_back(absl::StrCat("--concurrency=", plan.concurrency, " must be 1 to 1000000"));
  }
  if (plan.loop == Loop::kOpen && command_line.Given("concurrency")) {
    errors.push_back(
        "--concurrency is for the closed loop; with --rate, the schedule decides how many "
        "calls are in flight (bounded by --max_outstanding)");
  }
  const std::string arrivals = absl::GetFlag(FLAGS_arrivals);
  if (arrivals == "poisson") {
    plan.arrivals = Arrivals::kPoisson;
  } else if (arrivals == "constant") {
    plan.arrivals = Arrivals::kConstant;
  } else {
    errors.push_back(absl::StrCat("--arrivals=", arrivals, " is not one of poisson, constant"));
  }
  plan.max_outstanding = absl::GetFlag(FLAGS_max_outstanding);
  if (plan.max_outstanding < 1) {
    errors.push_back(
        absl::StrCat("--max_outstanding=", plan.max_outstanding, " must be at least 1"));
  }
  if (plan.loop == Loop::kClosed &&
      (command_line.Given("arrivals") || command_line.Given("max_outstanding"))) {
    errors.push_back("--arrivals and --max_outstanding are for the open loop: give a --rate too");
  }
}

}  // namespace

LoadPlan ReadPlanFlags(const CommandLine& command_line, FlagErrors& errors) {
  LoadPlan plan;
  ReadLoopFlags(command_line, plan, errors);
  plan.duration = absl::GetFlag(FLAGS_duration);
  plan.requests = absl::GetFlag(FLAGS_requests);
  plan.warmup = absl::GetFlag(FLAGS_warmup);
  plan.call_timeout = absl::GetFlag(FLAGS_call_timeout);
  if (plan.duration <= absl::ZeroDuration()) errors.push_back("--duration must be positive");
  if (plan.requests < 0) errors.push_back("--requests must not be negative");
  if (plan.requests > 0 && command_line.Given("duration")) {
    errors.push_back("give --duration or --requests, not both");
  }
  if (plan.warmup < absl::ZeroDuration()) errors.push_back("--warmup must not be negative");
  if (plan.call_timeout <= absl::ZeroDuration()) {
    errors.push_back("--call_timeout must be positive");
  }
  return plan;
}

}  // namespace ledger::load
