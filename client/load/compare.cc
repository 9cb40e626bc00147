#include "client/load/compare.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/load/log.h"
#include "client/load/metrics_probe.h"
#include "client/load/report.h"

namespace ledger::load {
namespace {

// How often the server's gauges are read: often enough to catch the thread
// count of a short level, rarely enough to cost the server nothing.
constexpr absl::Duration kMetricsPeriod = absl::Milliseconds(250);

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
      absl::StrAppend(&text, absl::StrFormat(", %.1f MiB resident",
                                             *server->resident_memory_bytes / (1024.0 * 1024.0)));
    }
  }
  return text;
}

}  // namespace

CompareResult RunCompare(const CompareOptions& options,
                         const std::array<Channels*, kModeNames.size()>& channels,
                         coro::CompletionQueueThreads& client, ProgressLine& progress) {
  const CompareSettings& settings = options.settings;
  CompareResult result;
  result.settings = settings;
  const absl::Duration slice = settings.duration / settings.rounds;
  for (size_t level_index = 0; level_index < settings.levels.size(); ++level_index) {
    LevelResult level;
    level.concurrency = settings.levels[level_index];
    for (size_t m = 0; m < kModeNames.size(); ++m) level.modes[m].mode = kModeNames[m];
    for (int round = 0; round < settings.rounds; ++round) {
      for (size_t turn = 0; turn < kModeNames.size(); ++turn) {
        const size_t m = (turn + round + level_index) % kModeNames.size();
        const char* mode = kModeNames[m];
        LoadPlan plan = options.plan;
        plan.loop = Loop::kClosed;
        plan.concurrency = level.concurrency;
        plan.warmup = settings.warmup;
        plan.duration = slice;
        plan.requests = 0;
        // The same seed every time: both modes get the same operations.
        WorkloadOptions workload_options = options.workload;
        absl::StrAppend(&workload_options.request_id_prefix, "c", level.concurrency, "-", mode,
                        "-r", round, "-");
        Workload workload(std::move(workload_options));

        std::optional<MetricsProbe> probe;
        if (!settings.metrics.empty()) {
          const bool own_server =
              kModeNames[m] == std::string("thread") && !settings.thread_metrics.empty();
          probe.emplace(own_server ? settings.thread_metrics : settings.metrics, kMetricsPeriod);
          probe->Start();
        }
        const std::string label = absl::StrCat(level.concurrency, " in flight, ", mode,
                                               " mode, round ", round + 1, "/", settings.rounds);
        RunResult run = RunLoad(plan, workload, *channels[m], client, progress.For(label));
        progress.Clear();
        std::optional<ServerPeaks> server;
        if (probe) server = probe->Stop();
        Log("%s: %s", label, DescribeSlice(run, server, mode));

        ModeAtLevel& cell = level.modes[m];
        cell.run.Merge(run);
        if (server) {
          if (!cell.server) cell.server.emplace();
          cell.server->Merge(*server);
        }
      }
    }
    result.levels.push_back(std::move(level));
  }
  return result;
}

}  // namespace ledger::load
