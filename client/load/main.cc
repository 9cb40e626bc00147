// ledger-load: drives the ledger with a mix of calls from coroutines on one
// client thread, in closed or open loop, reports latency percentiles and
// throughput, and checks afterwards that its transfers conserved money.
// --compare runs the same workload against the coroutine and the thread
// port at several concurrency levels and writes a table and a plot. --soak
// loads both ports at once for a long while and judges what it sampled.
//
// Exit codes: 0 done and money conserved (and the soak passed); 1 the run
// failed (no server, an account missing, a file not written), money was not
// conserved, or the soak failed; 2 bad flags.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/common/command_line.h"
#include "client/common/connection_flags.h"
#include "client/common/exit_codes.h"
#include "client/common/grpc_log.h"
#include "client/load/channels.h"
#include "client/load/compare.h"
#include "client/load/compare_report.h"
#include "client/load/ledger_accounts.h"
#include "client/load/load_driver.h"
#include "client/load/metrics_probe.h"
#include "client/load/options.h"
#include "client/load/progress.h"
#include "client/load/report.h"
#include "client/load/soak.h"
#include "client/load/workload.h"
#include "coro/completion_queue_threads.h"
#include "logging/log.h"

namespace ledger::load {
namespace {

// The flags are those of the files in this folder (options.cc and its
// groups) and the connection flags both clients share: --help lists ours, not
// the libraries'.
constexpr absl::string_view kFlagsFiles[] = {"client/load/", kConnectionFlagsFile};

constexpr char kUsage[] =
    "Load generator for ledger-server: a mix of its calls (GetAccount, Transfer, ListTransfers "
    "and\nTransferStream by default; OpenAccount, ImportTransfers and Audit too with --mix) "
    "from coroutines on\none client thread, in closed loop (--concurrency) or open loop "
    "(--rate), with latency percentiles,\nthroughput, status codes, and a check that money "
    "was conserved.\n--compare measures the coroutine and the thread port side by side.\n"
    "--soak loads both at once for --duration, a line per mode every --report_every, and "
    "fails if a total\nchanges or memory or coroutine frames keep growing.\n"
    "Usage: ledger-load [--flag=value ...]; --help lists every flag with its default.\n"
    "Against a server with TLS and tokens: --tls_ca_file=PEM and a token with the admin role in "
    "$LEDGER_TOKEN\n(the run opens accounts with money in them), for every target alike.\n";

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
  if (options.output.metrics.empty()) return true;
  absl::StatusOr<std::string> first = FetchMetrics(options.output.metrics, absl::Seconds(5));
  if (!first.ok()) {
    Log("%s (--metrics names the server's metrics endpoint)", first.status().message());
  }
  return first.ok();
}

// Opens the accounts (or finds the existing ones) and returns their total.
std::optional<int64_t> PrepareAccounts(const Options& options, Channels& channels,
                                       coro::CompletionQueueThreads& client) {
  const std::vector<std::string>& ids = options.workload.account_ids;
  const std::string& prefix = options.accounts.prefix;
  if (options.accounts.existing) {
    Log("using %d existing accounts %s0 .. %s%d", ids.size(), prefix, prefix, ids.size() - 1);
  } else {
    Log("opening %d accounts %s0 .. %s%d with %d cents each", ids.size(), prefix, prefix,
        ids.size() - 1, options.accounts.initial_balance);
    if (absl::Status opened = OpenAccounts(channels, client, ids, options.accounts.initial_balance);
        !opened.ok()) {
      Log("%s", opened.message());
      return std::nullopt;
    }
  }
  absl::StatusOr<int64_t> sum = SumBalances(channels, client, ids);
  if (!sum.ok()) {
    const bool missing = sum.status().code() == absl::StatusCode::kNotFound;
    Log("%s%s", sum.status().message(),
        options.accounts.existing && missing ? " (--existing uses accounts that exist already)"
                                             : "");
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
  check.shared_accounts = options.accounts.shared;
  if (absl::StatusOr<int64_t> after = SumBalances(channels, client, ids); after.ok()) {
    check.sum_after = *after;
  } else {
    check.error = std::string(after.status().message());
  }
  Log("ledger check: %s", DescribeLedgerCheck(check));
  return check;
}

// Connects every channel, so that no measured call pays for a handshake.
bool Connect(std::initializer_list<Channels*> all, absl::Duration timeout) {
  for (Channels* channels : all) {
    if (absl::Status connected = channels->Connect(timeout); !connected.ok()) {
      Log("%s", connected.message());
      return false;
    }
  }
  return true;
}

ExitCode RunOnce(const Options& options, coro::CompletionQueueThreads& client) {
  Channels channels(options.target, options.connections, options.security,
                    options.channel_arguments);
  if (!Connect({&channels}, options.connect_timeout)) return ExitCode::kFailure;
  const std::optional<int64_t> before = PrepareAccounts(options, channels, client);
  if (!before || !MetricsReachable(options)) return ExitCode::kFailure;

  MetricsProbe probe(options.output.metrics);
  Log("running: %s, against %s over %d connection(s) (%s), mix %s, seed %d",
      DescribePlan(options.plan), channels.target(), channels.size(), channels.security(),
      FormatMix(options.workload.mix), options.workload.seed);
  Workload workload(options.workload);
  ProgressLine progress;
  RunResult result = RunLoad(options.plan, workload, channels, client, progress.For("load"));
  progress.Clear();
  result.server = probe.Stop();
  Log("done: %d calls measured, %d errors", result.calls(), result.errors());

  const LedgerCheck check = CheckLedger(options, channels, client, *before);
  std::fputs(RunSummaryText(options, result, check).c_str(), stdout);
  std::fflush(stdout);
  const std::string& json_path = options.output.json_path;
  if (!json_path.empty()) {
    if (!WriteFile(json_path, RunJson(options, result, check))) return ExitCode::kFailure;
    Log("wrote %s", json_path);
  }
  return check.passed() ? ExitCode::kSuccess : ExitCode::kFailure;
}

// compare.json, compare.md and compare.svg in --out_dir, and compare.json
// again at --json if given.
bool WriteCompareFiles(const Options& options, const CompareResult& result) {
  const std::filesystem::path out_dir(options.compare.out_dir);
  const std::string svg_name = "compare.svg";
  const std::string json = CompareJson(options, result);
  const std::filesystem::path json_file = out_dir / "compare.json";
  const std::filesystem::path markdown_file = out_dir / "compare.md";
  const std::filesystem::path svg_file = out_dir / svg_name;
  const std::string& json_path = options.output.json_path;
  if (!WriteFile(json_file, json) ||
      !WriteFile(markdown_file, CompareMarkdown(options, result, svg_name)) ||
      !WriteFile(svg_file, CompareSvg(options, result)) ||
      (!json_path.empty() && !WriteFile(json_path, json))) {
    return false;
  }
  Log("wrote %s, %s and %s%s", json_file.string(), markdown_file.string(), svg_file.string(),
      json_path.empty() ? "" : absl::StrCat(" (and ", json_path, ")"));
  return true;
}

ExitCode RunCompareMode(const Options& options, coro::CompletionQueueThreads& client) {
  Channels coroutine_channels(options.target, options.connections, options.security,
                              options.channel_arguments);
  Channels thread_channels(options.thread_target, options.connections, options.security,
                           options.channel_arguments);
  if (!Connect({&coroutine_channels, &thread_channels}, options.connect_timeout) ||
      !MetricsReachable(options)) {
    return ExitCode::kFailure;
  }
  std::error_code error;
  std::filesystem::create_directories(options.compare.out_dir, error);
  if (error) {
    Log("cannot create --out_dir=%s: %s", options.compare.out_dir, error.message());
    return ExitCode::kFailure;
  }
  // Both modes serve the same store, so one set of accounts serves both;
  // unless thread mode runs in a server of its own (--thread_metrics), with a
  // store of its own (not --shared_store), which then needs the accounts too.
  const bool own_thread_store = !options.thread_metrics.empty() && !options.compare.shared_store;
  const std::optional<int64_t> before = PrepareAccounts(options, coroutine_channels, client);
  if (!before) return ExitCode::kFailure;
  std::optional<int64_t> thread_before;
  if (own_thread_store) {
    thread_before = PrepareAccounts(options, thread_channels, client);
    if (!thread_before) return ExitCode::kFailure;
  }
  Log("comparing coroutine mode (%s) and thread mode (%s) at %d level(s), %s per mode and "
      "level in %d round(s), each after %s of warmup",
      coroutine_channels.target(), thread_channels.target(), options.compare.levels.size(),
      absl::FormatDuration(options.plan.duration), options.compare.rounds,
      absl::FormatDuration(options.plan.warmup));
  ProgressLine progress;
  CompareResult result =
      RunCompare(options, {&coroutine_channels, &thread_channels}, client, progress);
  result.ledger = CheckLedger(options, coroutine_channels, client, *before);
  if (own_thread_store && result.ledger.passed()) {
    result.ledger = CheckLedger(options, thread_channels, client, *thread_before);
  }
  if (!WriteCompareFiles(options, result)) return ExitCode::kFailure;
  std::fputs(CompareTable(options, result).c_str(), stdout);
  std::fflush(stdout);
  return result.ledger.passed() ? ExitCode::kSuccess : ExitCode::kFailure;
}

ExitCode Run(int argc, char** argv) {
  logging::Configure("ledger-load", logging::Level::kInfo, logging::Format::kText);
  QuietGrpcLog();
  absl::StatusOr<CommandLine> command_line = ParseCommandLine(argc, argv, kFlagsFiles);
  if (!command_line.ok()) {
    LogError("invalid flag: %s", command_line.status().message());
    return ExitCode::kUsage;
  }
  if (command_line->help) {
    std::cout << kUsage << "\nFlags (--name=value or --name value):\n" << FlagsHelp(kFlagsFiles);
    return ExitCode::kSuccess;
  }
  if (!command_line->positional.empty()) {
    LogError("invalid flag: unexpected argument '%s': ledger-load takes only --flags (see --help)",
             command_line->positional.front());
    return ExitCode::kUsage;
  }
  const std::optional<Options> options = OptionsFromFlags(*command_line);
  if (!options) return ExitCode::kUsage;
  // The one client thread every call of the run waits on.
  coro::CompletionQueueThreads client(1);
  client.Start();
  if (options->soak.enabled) return RunSoak(*options, client);
  return options->compare.enabled ? RunCompareMode(*options, client) : RunOnce(*options, client);
}

}  // namespace
}  // namespace ledger::load

int main(int argc, char** argv) { return ledger::ToInt(ledger::load::Run(argc, argv)); }
