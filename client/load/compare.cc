#include "client/load/compare.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/load/log.h"
#include "client/load/metrics_probe.h"
#include "client/load/report.h"
#include "client/load/workload.h"

namespace ledger::load {
namespace {

std::string DescribeSlice(const RunResult& run, const std::string& mode) {
  std::string text =
      absl::StrFormat("%d calls, %.0f calls/s, p50 %s, p99 %s, p99.9 %s, %d errors", run.calls(),
                      run.throughput(), FormatLatency(run.latency.PercentileNanos(50)),
                      FormatLatency(run.latency.PercentileNanos(99)),
                      FormatLatency(run.latency.PercentileNanos(99.9)), run.errors());
  if (run.errors() > 0) absl::StrAppend(&text, " (", FormatCodes(run.by_code), ")");
  if (run.server) {
    if (auto threads = run.server->ModeThreads(mode)) {
      absl::StrAppend(&text, absl::StrFormat(", server: %.0f threads", *threads));
    }
    if (run.server->resident_memory_bytes) {
      absl::StrAppend(&text, ", ", FormatMebibytes(*run.server->resident_memory_bytes),
                      " resident");
    }
  }
  return text;
}

// One mode's slice of a level: its own warmup, then a closed loop for its
// share of --duration; what it measured is added to `merged`.
void RunSlice(const Options& options, int round, Channels& channels,
              coro::CompletionQueueThreads& client, ProgressLine& progress, int concurrency,
              const std::string& mode, RunResult& merged) {
  LoadPlan plan = options.plan;
  plan.loop = Loop::kClosed;
  plan.concurrency = concurrency;
  plan.duration = options.plan.duration / options.compare.rounds;
  plan.requests = 0;
  // The same seed every time: both modes get the same operations.
  WorkloadOptions workload_options = options.workload;
  absl::StrAppend(&workload_options.request_id_prefix, "c", concurrency, "-", mode, "-r", round,
                  "-");
  Workload workload(std::move(workload_options));
  // Thread mode's own server, if it runs in one, has its own metrics.
  const bool own_server = mode == "thread" && !options.thread_metrics.empty();
  MetricsProbe probe(own_server ? options.thread_metrics : options.output.metrics);
  const std::string label = absl::StrCat(concurrency, " in flight, ", mode, " mode, round ",
                                         round + 1, "/", options.compare.rounds);
  RunResult run = RunLoad(plan, workload, channels, client, progress.For(label));
  progress.Clear();
  run.server = probe.Stop();
  Log("%s: %s", label, DescribeSlice(run, mode));
  merged.Merge(run);
}

}  // namespace

CompareResult RunCompare(const Options& options,
                         const std::array<Channels*, kModeNames.size()>& channels,
                         coro::CompletionQueueThreads& client, ProgressLine& progress) {
  CompareResult result;
  const std::vector<int>& levels = options.compare.levels;
  for (size_t level_index = 0; level_index < levels.size(); ++level_index) {
    LevelResult level;
    level.concurrency = levels[level_index];
    for (int round = 0; round < options.compare.rounds; ++round) {
      for (size_t turn = 0; turn < kModeNames.size(); ++turn) {
        // The mode that goes first alternates by round and by level (ABBA).
        const size_t m = (turn + round + level_index) % kModeNames.size();
        RunSlice(options, round, *channels[m], client, progress, level.concurrency, kModeNames[m],
                 level.by_mode[m]);
      }
    }
    result.levels.push_back(std::move(level));
  }
  return result;
}

}  // namespace ledger::load
