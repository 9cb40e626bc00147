#include "client/load/soak.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/load/channels.h"
#include "client/load/ledger_accounts.h"
#include "client/load/load_driver.h"
#include "client/load/metrics_probe.h"
#include "client/load/prometheus_text.h"
#include "client/load/report.h"
#include "client/load/run_result.h"
#include "client/load/soak_rule.h"
#include "client/load/workload.h"
#include "contract/metric_names.h"
#include "contract/serving_mode.h"
#include "logging/log.h"

namespace ledger::load {
namespace {

// How long a server may take, once the load has paused, to report no call in
// flight, and how often it is asked meanwhile.
constexpr absl::Duration kQuietTimeout = absl::Seconds(10);
constexpr absl::Duration kQuietPoll = absl::Milliseconds(100);

// OpenAccount's place in Operation: the accounts a period opened are its
// successful calls.
constexpr size_t kOpenKind = 4;
static_assert(std::is_same_v<std::variant_alternative_t<kOpenKind, Operation>, OpenAccount>);

// One server's gauges at a quiet moment.
struct QuietGauges {
  double resident_bytes = 0;
  double frames = 0;
  std::map<std::string, double> threads;   // by mode, for the modes it serves
  std::map<std::string, double> inflight;  // by mode: 0 unless it never got quiet
};

// Scrapes /metrics at `address` until it shows no call in flight in any mode
// twice in a row, kQuietPoll apart, or kQuietTimeout has passed; returns the
// last scrape. Twice, because a handler gives its place in flight back just
// before gRPC sends its status, and its frames go a moment after that.
absl::StatusOr<QuietGauges> ReadQuietGauges(const std::string& address) {
  const absl::Time deadline = absl::Now() + kQuietTimeout;
  for (int quiet_in_a_row = 0;;) {
    absl::StatusOr<std::string> text = FetchMetrics(address, absl::Seconds(5));
    if (!text.ok()) return text.status();
    const std::optional<double> resident = FindSample(*text, metrics::kProcessResidentMemoryBytes);
    const std::optional<double> frames = FindSample(*text, metrics::kCoroutineFrames);
    if (!resident || !frames) {
      return absl::NotFoundError(absl::StrCat("http://", address, "/metrics shows no ",
                                              metrics::kProcessResidentMemoryBytes, " or ",
                                              metrics::kCoroutineFrames));
    }
    QuietGauges gauges;
    gauges.resident_bytes = *resident;
    gauges.frames = *frames;
    bool quiet = true;
    for (const char* mode : kModeNames) {
      const std::map<std::string, std::string> labels = {{"mode", mode}};
      if (auto threads = FindSample(*text, metrics::kModeThreads, labels)) {
        gauges.threads[mode] = *threads;
      }
      gauges.inflight[mode] = FindSample(*text, metrics::kInflightCalls, labels).value_or(0);
      quiet = quiet && gauges.inflight[mode] == 0;
    }
    quiet_in_a_row = quiet ? quiet_in_a_row + 1 : 0;
    if (quiet_in_a_row == 2 || absl::Now() >= deadline) return gauges;
    absl::SleepFor(kQuietPoll);
  }
}

// "3m05s": load time, the pauses left out.
std::string LoadTime(absl::Duration elapsed) {
  const int64_t seconds = absl::ToInt64Seconds(elapsed);
  return absl::StrFormat("%dm%02ds", seconds / 60, seconds % 60);
}

// One mode under soak: its connections, accounts and workload, and what the
// soak has seen of it.
struct SoakedMode {
  SoakedMode(const Options& options, const std::string& name, const std::string& target,
             const std::string& metrics_address)
      : name(name),
        metrics(metrics_address),
        channels(target, options.connections, options.security, options.channel_arguments),
        account_ids(AccountIds(SoakAccountPrefix(options.accounts.prefix, name),
                               static_cast<int>(options.workload.account_ids.size()))),
        workload(ForMode(options.workload, name, account_ids)) {}

  // The run's workload on this mode's accounts, with ids of its own.
  static WorkloadOptions ForMode(WorkloadOptions workload, const std::string& name,
                                 const std::vector<std::string>& account_ids) {
    workload.account_ids = account_ids;
    absl::StrAppend(&workload.request_id_prefix, name, "-");
    absl::StrAppend(&workload.open_prefix, name, "-");
    return workload;
  }

  const std::string name;
  const std::string metrics;  // its server's /metrics
  Channels channels;
  const std::vector<std::string> account_ids;
  Workload workload;
  int64_t expected_total = 0;
  int64_t opened = 0;  // accounts that OpenAccount opened, so far
  int64_t transfers = 0;
  RunResult period;                  // the last period's calls
  std::optional<ServerPeaks> peaks;  // and its server's gauges meanwhile
  QuietGauges gauges;                // at the last sample
  std::vector<SoakSample> samples;
};

using Modes = std::vector<std::unique_ptr<SoakedMode>>;

// The /metrics endpoints, each once: one when both modes share a process.
std::set<std::string> Endpoints(const Modes& modes) {
  std::set<std::string> endpoints;
  for (const auto& mode : modes) endpoints.insert(mode->metrics);
  return endpoints;
}

// Opens each mode's accounts, and notes what they must hold together from
// then on; logs why not. The sample before the load is the first check.
bool PrepareAccounts(const Options& options, Modes& modes, coro::CompletionQueueThreads& client) {
  for (const auto& mode : modes) {
    const std::vector<std::string>& ids = mode->account_ids;
    Log("%s mode: opening %d accounts %s .. %s with %d cents each", mode->name, ids.size(),
        ids.front(), ids.back(), options.accounts.initial_balance);
    if (absl::Status opened =
            OpenAccounts(mode->channels, client, ids, options.accounts.initial_balance);
        !opened.ok()) {
      Log("%s", opened.message());
      return false;
    }
    mode->expected_total = options.accounts.initial_balance * static_cast<int64_t>(ids.size());
  }
  return true;
}

// Both modes' load for one period, at once, and each server's peaks meanwhile.
void RunPeriod(const LoadPlan& plan, Modes& modes, coro::CompletionQueueThreads& client) {
  std::map<std::string, std::unique_ptr<MetricsProbe>> probes;
  for (const std::string& endpoint : Endpoints(modes)) {
    probes[endpoint] = std::make_unique<MetricsProbe>(endpoint);
  }
  {
    std::vector<std::jthread> loads;
    for (const auto& mode : modes) {
      loads.emplace_back([&plan, &client, &mode = *mode] {
        mode.period = RunLoad(plan, mode.workload, mode.channels, client);
      });
    }
  }
  std::map<std::string, std::optional<ServerPeaks>> peaks;
  for (auto& [endpoint, probe] : probes) peaks[endpoint] = probe->Stop();
  for (const auto& mode : modes) {
    mode->peaks = peaks[mode->metrics];
    const OperationResult& opens = mode->period.by_operation[kOpenKind];
    mode->opened += opens.latency.count() - opens.errors;
  }
}

// A sample of every mode, taken once the load has paused: first the accounts
// (whose reads are calls too), then each server once it is quiet.
absl::Status TakeSamples(const std::string& at, Modes& modes,
                         coro::CompletionQueueThreads& client) {
  std::map<std::string, int64_t> records;  // in each server's store
  std::map<SoakedMode*, int64_t> totals;
  for (const auto& mode : modes) {
    absl::StatusOr<AccountsTotal> total = ReadTotal(mode->channels, client, mode->account_ids);
    if (!total.ok()) {
      return absl::Status(total.status().code(),
                          absl::StrCat(mode->name, " mode: ", total.status().message()));
    }
    totals[mode.get()] = total->balance;
    mode->transfers = total->transfers;
    records[mode->metrics] +=
        total->transfers + mode->opened + static_cast<int64_t>(mode->account_ids.size());
  }
  std::map<std::string, QuietGauges> gauges;
  for (const std::string& endpoint : Endpoints(modes)) {
    absl::StatusOr<QuietGauges> quiet = ReadQuietGauges(endpoint);
    if (!quiet.ok()) return quiet.status();
    gauges[endpoint] = *quiet;
  }
  for (const auto& mode : modes) {
    mode->gauges = gauges[mode->metrics];
    mode->samples.push_back(SoakSample{
        .at = at,
        .resident_bytes = mode->gauges.resident_bytes,
        .frames = mode->gauges.frames,
        .inflight = mode->gauges.inflight[mode->name],
        .total = totals[mode.get()],
        .records = records[mode->metrics],
        .inconsistent_audits = mode->period.by_code[static_cast<int>(grpc::StatusCode::DATA_LOSS)],
    });
  }
  return absl::OkStatus();
}

std::string Threads(const SoakedMode& mode) {
  auto now = mode.gauges.threads.find(mode.name);
  std::string text = now == mode.gauges.threads.end() ? "n/a" : absl::StrCat(now->second);
  if (mode.peaks) {
    if (std::optional<double> most = mode.peaks->ModeThreads(mode.name)) {
      absl::StrAppend(&text, " (max ", *most, ")");
    }
  }
  return text;
}

// The server's side of a sample line.
std::string ServerColumns(const SoakedMode& mode) {
  const SoakSample& sample = mode.samples.back();
  return absl::StrCat("rss ", FormatMebibytes(sample.resident_bytes), "  threads ", Threads(mode),
                      "  frames ", sample.frames, "  transfers ", mode.transfers, "  total ",
                      sample.total);
}

void PrintStartLine(const SoakedMode& mode) {
  absl::PrintF("%7s  %-9s  before load  %s\n", mode.samples.back().at, mode.name,
               ServerColumns(mode));
}

void PrintPeriodLine(const SoakedMode& mode) {
  const RunResult& period = mode.period;
  absl::PrintF("%7s  %-9s  %7.1f calls/s  p99 %8s  errors %d  %s\n", mode.samples.back().at,
               mode.name, period.throughput(), FormatLatency(period.latency.PercentileNanos(99)),
               period.errors(), ServerColumns(mode));
}

// The verdict of every mode; true if all passed.
bool PrintVerdict(const Options& options, const Modes& modes) {
  int failures = 0;
  for (const auto& mode : modes) {
    const SoakVerdict verdict = JudgeSoak(mode->samples, mode->expected_total, options.soak.rule);
    absl::PrintF("verdict  %-9s  %s\n", mode->name, absl::StrJoin(verdict.findings, "; "));
    for (const std::string& failure : verdict.failures) {
      absl::PrintF("FAILED   %-9s  %s\n", mode->name, failure);
      ++failures;
    }
  }
  if (failures == 0) {
    absl::PrintF(
        "soak passed: every total held, and memory and coroutine frames did not keep "
        "growing\n");
  } else {
    absl::PrintF("soak FAILED: %d reason(s) above\n", failures);
  }
  std::fflush(stdout);
  return failures == 0;
}

}  // namespace

std::string SoakAccountPrefix(const std::string& account_prefix, const std::string& mode) {
  return absl::StrCat(account_prefix, mode, "-");
}

ExitCode RunSoak(const Options& options, coro::CompletionQueueThreads& client) {
  Modes modes;
  modes.push_back(std::make_unique<SoakedMode>(options, ModeName(ServingMode::kCoroutine),
                                               options.target, options.output.metrics));
  modes.push_back(std::make_unique<SoakedMode>(
      options, ModeName(ServingMode::kThread), options.thread_target,
      options.thread_metrics.empty() ? options.output.metrics : options.thread_metrics));
  for (const auto& mode : modes) {
    if (absl::Status connected = mode->channels.Connect(options.connect_timeout); !connected.ok()) {
      Log("%s", connected.message());
      return ExitCode::kFailure;
    }
  }
  if (!PrepareAccounts(options, modes, client)) return ExitCode::kFailure;

  absl::PrintF(
      "soak: %s per mode, both modes at once, mix %s, %d accounts per mode; a sample "
      "every %s of load for %s\n",
      DescribeLoop(options.plan), FormatMix(options.workload.mix),
      options.workload.account_ids.size(), absl::FormatDuration(options.soak.report_every),
      absl::FormatDuration(options.plan.duration));
  for (const auto& mode : modes) {
    absl::PrintF("soak: %s mode at %s (%s), metrics http://%s/metrics\n", mode->name,
                 mode->channels.target(), mode->channels.security(), mode->metrics);
  }
  absl::Duration load_time = absl::ZeroDuration();
  if (absl::Status sampled = TakeSamples(LoadTime(load_time), modes, client); !sampled.ok()) {
    Log("soak FAILED: no sample before the load: %s", sampled.message());
    return ExitCode::kFailure;
  }
  for (const auto& mode : modes) PrintStartLine(*mode);
  std::fflush(stdout);
  Log("soak running: %s of load, a sample every %s", absl::FormatDuration(options.plan.duration),
      absl::FormatDuration(options.soak.report_every));

  for (uint64_t period = 1; load_time < options.plan.duration; ++period) {
    LoadPlan plan = options.plan;
    plan.warmup = absl::ZeroDuration();
    plan.requests = 0;
    plan.arrivals_stream = period;
    plan.duration = std::min(options.soak.report_every, options.plan.duration - load_time);
    RunPeriod(plan, modes, client);
    load_time += plan.duration;
    if (absl::Status sampled = TakeSamples(LoadTime(load_time), modes, client); !sampled.ok()) {
      absl::PrintF("soak FAILED: no sample at %s: %s\n", LoadTime(load_time), sampled.message());
      std::fflush(stdout);
      return ExitCode::kFailure;
    }
    for (const auto& mode : modes) PrintPeriodLine(*mode);
    std::fflush(stdout);
  }
  return PrintVerdict(options, modes) ? ExitCode::kSuccess : ExitCode::kFailure;
}

}  // namespace ledger::load
