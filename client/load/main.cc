// ledger-load: drives the ledger with a mix of calls from coroutines on one
// client thread, in closed or open loop, reports latency percentiles and
// throughput, and checks afterwards that its transfers conserved money.
// --compare runs the same workload against the coroutine and the thread
// port at several concurrency levels and writes a table and a plot.
//
// Exit codes: 0 done and money conserved; 1 the run failed (no server, an
// account missing, a file not written) or money was not conserved; 2 bad
// flags.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "client/load/channels.h"
#include "client/load/command_line.h"
#include "client/load/compare.h"
#include "client/load/compare_report.h"
#include "client/load/ledger_accounts.h"
#include "client/load/load_driver.h"
#include "client/load/log.h"
#include "client/load/metrics_probe.h"
#include "client/load/options.h"
#include "client/load/progress.h"
#include "client/load/report.h"
#include "client/load/svg_plot.h"
#include "client/load/workload.h"
#include "coro/completion_queue_threads.h"

namespace ledger::load {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// How often the server's gauges are read while load runs.
constexpr absl::Duration kMetricsPeriod = absl::Milliseconds(250);

bool WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << contents;
  file.close();
  if (!file) {
    Log("cannot write %s: %s", path, std::strerror(errno));
    return false;
  }
  return true;
}

// Fails early, with the reason, if --metrics names no metrics endpoint:
// better than a run whose table lacks the numbers that were asked for.
bool MetricsReachable(const Options& options) {
  if (options.metrics.empty()) return true;
  absl::StatusOr<std::string> first = FetchMetrics(options.metrics, absl::Seconds(5));
  if (!first.ok()) {
    Log("%s (--metrics names the server's metrics endpoint)", first.status().message());
  }
  return first.ok();
}

// Opens the accounts (or finds the existing ones) and returns their total.
std::optional<int64_t> PrepareAccounts(const Options& options, Channels& channels,
                                       coro::CompletionQueueThreads& client) {
  const std::vector<std::string>& ids = options.workload.account_ids;
  const std::string& prefix = options.account_prefix;
  if (options.existing) {
    Log("using %d existing accounts %s0 .. %s%d", ids.size(), prefix, prefix, ids.size() - 1);
  } else {
    Log("opening %d accounts %s0 .. %s%d with %d cents each", ids.size(), prefix, prefix,
        ids.size() - 1, options.initial_balance);
    if (absl::Status opened = OpenAccounts(channels, client, ids, options.initial_balance);
        !opened.ok()) {
      Log("%s", opened.message());
      return std::nullopt;
    }
  }
  absl::StatusOr<int64_t> sum = SumBalances(channels, client, ids);
  if (!sum.ok()) {
    Log("%s%s", sum.status().message(),
        options.existing ? " (--existing uses accounts that exist already)" : "");
    return std::nullopt;
  }
  return *sum;
}

// Reads the total again after the run and says whether money was conserved.
LedgerCheck CheckLedger(const Options& options, Channels& channels,
                        coro::CompletionQueueThreads& client, int64_t before) {
  const std::vector<std::string>& ids = options.workload.account_ids;
  LedgerCheck check;
  check.accounts = static_cast<int>(ids.size());
  check.sum_before = before;
  check.shared_accounts = options.shared_accounts;
  if (absl::StatusOr<int64_t> after = SumBalances(channels, client, ids); after.ok()) {
    check.sum_after = *after;
  } else {
    check.error = std::string(after.status().message());
  }
  Log("ledger check: %s", DescribeLedgerCheck(check));
  return check;
}

int RunOnce(const Options& options, coro::CompletionQueueThreads& client) {
  Channels channels(options.target, options.connections);
  if (absl::Status connected = channels.Connect(options.connect_timeout); !connected.ok()) {
    Log("%s", connected.message());
    return kExitFailure;
  }
  const std::optional<int64_t> before = PrepareAccounts(options, channels, client);
  if (!before || !MetricsReachable(options)) return kExitFailure;

  RunDescription description;
  description.target = channels.target();
  description.connections = channels.size();
  description.plan = options.plan;
  description.mix = FormatMix(options.workload.mix);
  description.accounts = static_cast<int>(options.workload.account_ids.size());
  description.account_prefix = options.account_prefix;
  description.existing = options.existing;
  description.seed = options.workload.seed;
  description.metrics = options.metrics;

  std::optional<MetricsProbe> probe;
  if (!options.metrics.empty()) {
    probe.emplace(options.metrics, kMetricsPeriod);
    probe->Start();
  }
  Log("running: %s, against %s over %d connection(s), mix %s, seed %d", DescribePlan(options.plan),
      channels.target(), channels.size(), description.mix, description.seed);
  Workload workload(options.workload);
  ProgressLine progress;
  const RunResult result = RunLoad(options.plan, workload, channels, client, progress.For("load"));
  progress.Clear();
  std::optional<ServerPeaks> server;
  if (probe) server = probe->Stop();
  Log("done: %d calls measured, %d errors", result.calls(), result.errors());

  const LedgerCheck check = CheckLedger(options, channels, client, *before);
  std::fputs(RunSummaryText(description, result, server, check).c_str(), stdout);
  std::fflush(stdout);
  if (!options.json_path.empty()) {
    if (!WriteFile(options.json_path, RunJson(description, result, server, check))) {
      return kExitFailure;
    }
    Log("wrote %s", options.json_path);
  }
  return check.passed() ? EXIT_SUCCESS : kExitFailure;
}

int RunCompareMode(const Options& options, coro::CompletionQueueThreads& client) {
  Channels coroutine_channels(options.target, options.connections);
  Channels thread_channels(options.thread_target, options.connections);
  for (Channels* channels : {&coroutine_channels, &thread_channels}) {
    if (absl::Status connected = channels->Connect(options.connect_timeout); !connected.ok()) {
      Log("%s", connected.message());
      return kExitFailure;
    }
  }
  if (!MetricsReachable(options)) return kExitFailure;
  const std::filesystem::path out_dir(options.out_dir);
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) {
    Log("cannot create --out_dir=%s: %s", options.out_dir, error.message());
    return kExitFailure;
  }

  CompareOptions compare;
  compare.plan = options.plan;
  compare.workload = options.workload;
  CompareSettings& settings = compare.settings;
  settings.targets = {coroutine_channels.target(), thread_channels.target()};
  settings.levels = options.levels;
  settings.connections = options.connections;
  settings.duration = options.plan.duration;
  settings.warmup = options.plan.warmup;
  settings.rounds = options.rounds;
  settings.mix = FormatMix(options.workload.mix);
  settings.accounts = static_cast<int>(options.workload.account_ids.size());
  settings.seed = options.workload.seed;
  settings.metrics = options.metrics;
  settings.thread_metrics = options.thread_metrics;

  // Both modes serve the same store, so one set of accounts serves both;
  // unless thread mode runs in a server of its own (--thread_metrics), with a
  // store of its own, which then needs the accounts too.
  const bool own_thread_store = !options.thread_metrics.empty();
  const std::optional<int64_t> before = PrepareAccounts(options, coroutine_channels, client);
  if (!before) return kExitFailure;
  std::optional<int64_t> thread_before;
  if (own_thread_store) {
    thread_before = PrepareAccounts(options, thread_channels, client);
    if (!thread_before) return kExitFailure;
  }
  Log("comparing coroutine mode (%s) and thread mode (%s) at %d level(s), %s per mode and "
      "level in %d round(s), each after %s of warmup",
      settings.targets[0], settings.targets[1], settings.levels.size(),
      absl::FormatDuration(settings.duration), settings.rounds,
      absl::FormatDuration(settings.warmup));
  ProgressLine progress;
  CompareResult result =
      RunCompare(compare, {&coroutine_channels, &thread_channels}, client, progress);
  result.ledger = CheckLedger(options, coroutine_channels, client, *before);
  if (own_thread_store && result.ledger.passed()) {
    result.ledger = CheckLedger(options, thread_channels, client, *thread_before);
  }

  const std::string svg_name = "compare.svg";
  const std::string json = CompareJson(result);
  const std::filesystem::path json_file = out_dir / "compare.json";
  const std::filesystem::path markdown_file = out_dir / "compare.md";
  const std::filesystem::path svg_file = out_dir / svg_name;
  if (!WriteFile(json_file, json) || !WriteFile(markdown_file, CompareMarkdown(result, svg_name)) ||
      !WriteFile(svg_file, CompareSvg(result)) ||
      (!options.json_path.empty() && !WriteFile(options.json_path, json))) {
    return kExitFailure;
  }
  Log("wrote %s, %s and %s%s", json_file.string(), markdown_file.string(), svg_file.string(),
      options.json_path.empty() ? "" : absl::StrCat(" (and ", options.json_path, ")"));
  std::fputs(CompareTable(result).c_str(), stdout);
  std::fflush(stdout);
  return result.ledger.passed() ? EXIT_SUCCESS : kExitFailure;
}

int Run(const Options& options) {
  // The one client thread every call of the run waits on.
  coro::CompletionQueueThreads client(1);
  client.Start();
  return options.compare ? RunCompareMode(options, client) : RunOnce(options, client);
}

}  // namespace
}  // namespace ledger::load

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Load generator for ledger-server: a mix of GetAccount, Transfer, ListTransfers and "
      "TransferStream calls\nfrom coroutines on one client thread, in closed loop "
      "(--concurrency) or open loop (--rate), with\nlatency percentiles, throughput, status "
      "codes, and a check that money was conserved.\n--compare measures the coroutine and the "
      "thread port side by side.\n"
      "Usage: ledger-load [--flag=value ...]; --help lists every flag with its default.");
  // --help lists this program's own flags, not those of the libraries.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "client/load/");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  ledger::load::CommandLineCheck check = ledger::load::CheckCommandLine(argc, argv);
  if (!check.error.empty()) {
    ledger::load::Log("invalid flag: %s", check.error);
    return ledger::load::kExitUsage;
  }
  if (absl::ParseCommandLine(argc, argv).size() > 1) {
    ledger::load::Log("invalid flag: ledger-load takes no arguments besides --flags");
    return ledger::load::kExitUsage;
  }
  const std::optional<ledger::load::Options> options = ledger::load::OptionsFromFlags(check.given);
  if (!options) return ledger::load::kExitUsage;
  return ledger::load::Run(*options);
}
