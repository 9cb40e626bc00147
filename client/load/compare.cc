#include "client/load/compare.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/load/log.h"
#include "client/load/metrics_probe.h"
#include "client/load/report.h"
#include "client/load/workload.h"

namespace ledger::load {
namespace {

std::string DescribeSlice(const RunResult& run, const std::optional<ServerPeaks>& server,
                          const char* mode) {
  std::string text =
      absl::StrFormat("%d calls, %.0f calls/s, p50 %s, p99 %s, p99.9 %s, %d errors", run.calls(),
                      run.throughput(), FormatLatency(run.latency.PercentileNanos(50)),
                      FormatLatency(run.latency.PercentileNanos(99)),
                      FormatLatency(run.latency.PercentileNanos(99.9)), run.errors());
  if (run.errors() > 0) absl::StrAppend(&text, " (", FormatCodes(run.by_code), ")");
  if (server) {
    if (auto threads = server->mode_threads.find(mode); threads != server->mode_threads.end()) {
      absl::StrAppend(&text, absl::StrFormat(", server: %.0f threads", threads->second));
    }
    if (server->resident_memory_bytes) {
      absl::StrAppend(&text, ", ", FormatMebibytes(*server->resident_memory_bytes), " resident");
    }
  }
  return text;
}

// One mode's slice of a level: its own warmup, then a closed loop for its
// share of --duration; what it measured is added to `cell`.
void RunSlice(const Options& options, int round, Channels& channels,
              coro::CompletionQueueThreads& client, ProgressLine& progress, int concurrency,
              ModeAtLevel& cell) {
  LoadPlan plan = options.plan;
  plan.loop = Loop::kClosed;
  plan.concurrency = concurrency;
  plan.duration = options.plan.duration / options.compare.rounds;
  plan.requests = 0;
  // The same seed every time: both modes get the same operations.
  WorkloadOptions workload_options = options.workload;
  absl::StrAppend(&workload_options.request_id_prefix, "c", concurrency, "-", cell.mode, "-r",
                  round, "-");
  Workload workload(std::move(workload_options));
  // Thread mode's own server, if it runs in one, has its own metrics.
  const bool own_server = cell.mode == "thread" && !options.compare.thread_metrics.empty();
  MetricsProbe probe(own_server ? options.compare.thread_metrics : options.output.metrics);
  const std::string label = absl::StrCat(concurrency, " in flight, ", cell.mode, " mode, round ",
                                         round + 1, "/", options.compare.rounds);
  RunResult run = RunLoad(plan, workload, channels, client, progress.For(label));
  progress.Clear();
  const std::optional<ServerPeaks> server = probe.Stop();
  Log("%s: %s", label, DescribeSlice(run, server, cell.mode.c_str()));
  cell.run.Merge(run);
  if (server) {
    if (!cell.server) cell.server.emplace();
    cell.server->Merge(*server);
  }
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
    for (size_t m = 0; m < kModeNames.size(); ++m) level.modes[m].mode = kModeNames[m];
    for (int round = 0; round < options.compare.rounds; ++round) {
      for (size_t turn = 0; turn < kModeNames.size(); ++turn) {
        // The mode that goes first alternates by round and by level (ABBA).
        const size_t m = (turn + round + level_index) % kModeNames.size();
        RunSlice(options, round, *channels[m], client, progress, level.concurrency, level.modes[m]);
      }
    }
    result.levels.push_back(std::move(level));
  }
  return result;
}

}  // namespace ledger::load
