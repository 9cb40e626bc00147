#include "client/load/compare.h"

#include <sched.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/load/metrics_probe.h"
#include "client/load/report.h"
#include "client/load/workload.h"
#include "logging/log.h"

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
// share of --duration; what it measured is one of `rounds`.
void RunSlice(const Options& options, int round, Channels& channels,
              coro::CompletionQueueThreads& client, ProgressLine& progress, int concurrency,
              const std::string& mode, std::vector<RunResult>& rounds) {
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
  rounds.push_back(std::move(run));
}

// "0-1,4": the set as runs of consecutive cores.
std::string FormatCpuSet(const cpu_set_t& set) {
  std::vector<std::string> runs;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    runs.push_back(last == cpu ? absl::StrCat(cpu) : absl::StrCat(cpu, "-", last));
    cpu = last;
  }
  return absl::StrJoin(runs, ",");
}

}  // namespace

CoresSeen SeeCores() {
  CoresSeen cores;
  cores.online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cores.load_cpus = FormatCpuSet(set);
  return cores;
}

CompareResult RunCompare(const Options& options,
                         const std::array<Channels*, kModeNames.size()>& channels,
                         coro::CompletionQueueThreads& client, ProgressLine& progress) {
  CompareResult result;
  result.cores = SeeCores();
  const std::vector<int>& levels = options.compare.levels;
  for (size_t level_index = 0; level_index < levels.size(); ++level_index) {
    LevelResult level;
    level.concurrency = levels[level_index];
    for (int round = 0; round < options.compare.rounds; ++round) {
      for (size_t turn = 0; turn < kModeNames.size(); ++turn) {
        // The mode that goes first alternates by round and by level (ABBA).
        const size_t m = (turn + round + level_index) % kModeNames.size();
        RunSlice(options, round, *channels[m], client, progress, level.concurrency, kModeNames[m],
                 level.rounds[m]);
      }
    }
    for (size_t m = 0; m < kModeNames.size(); ++m) {
      for (const RunResult& run : level.rounds[m]) level.merged[m].Merge(run);
    }
    result.levels.push_back(std::move(level));
  }
  return result;
}

}  // namespace ledger::load
