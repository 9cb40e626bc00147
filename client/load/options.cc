#include "client/load/options.h"

#include <algorithm>
#include <limits>
#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/load/log.h"
#include "contract/account_id.h"
#include "contract/ports.h"

// The flags, each with its default and what it does: --help prints these.
ABSL_FLAG(std::string, target, absl::StrCat("localhost:", ledger::kDefaultPort),
          "Server to load: host:port of a ledger gRPC port. With --compare, the coroutine "
          "mode's port.");
ABSL_FLAG(std::string, thread_target, absl::StrCat("localhost:", ledger::kDefaultThreadPort),
          "With --compare: host:port of the thread-per-request mode's port.");
ABSL_FLAG(int, connections, 4,
          "gRPC channels (per target), each its own HTTP/2 connection; calls take them in "
          "turn.");
ABSL_FLAG(int, concurrency, 64,
          "Closed loop: calls in flight, each made as soon as the previous one returns. All "
          "wait as coroutines on one client thread.");
ABSL_FLAG(double, rate, 0,
          "Open loop: calls per second on a fixed schedule, whatever the server does; latency "
          "counts from each call's due time, so stalls are not hidden. 0 means closed loop.");
ABSL_FLAG(std::string, arrivals, "poisson",
          "Open loop: how calls are spaced, poisson (random gaps, as independent users "
          "arrive) or constant (exactly 1/rate apart).");
ABSL_FLAG(int, max_outstanding, 100'000,
          "Open loop: most calls in flight; a call due beyond waits for a slot, and the wait "
          "counts in its latency.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "How long to measure, after the warmup. With --compare: per mode and level.");
ABSL_FLAG(int64_t, requests, 0,
          "Measure this many calls (started after the warmup) instead of a --duration.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1),
          "Load before measuring, excluded from the results (connections, caches and threads "
          "warm up). With --compare: before every slice.");
ABSL_FLAG(absl::Duration, call_timeout, absl::Seconds(30),
          "Deadline of each call; one that passes counts as DeadlineExceeded.");
ABSL_FLAG(std::string, mix, "get:40,transfer:40,list:10,stream:10",
          "Relative weights of the operations: get (GetAccount), transfer (Transfer), list "
          "(ListTransfers of --list_limit receipts), stream (one TransferStream of "
          "--stream_transfers transfers). Left out means 0.");
ABSL_FLAG(int, list_limit, 20, "ListTransfers: most receipts read per call.");
ABSL_FLAG(int, stream_transfers, 3, "TransferStream: transfers sent per stream.");
ABSL_FLAG(int, accounts, 1000, "Accounts the load works on (at least 2).");
ABSL_FLAG(std::string, account_prefix, "",
          "Account ids are this prefix followed by 0 .. accounts-1. Default: a prefix unique "
          "to this run, so runs never collide.");
ABSL_FLAG(bool, existing, false,
          "Use existing accounts (--account_prefix + index) instead of opening them, e.g. "
          "those of an earlier run.");
ABSL_FLAG(int64_t, initial_balance, 1'000'000,
          "Balance (in cents) each opened account starts with.");
ABSL_FLAG(int64_t, max_amount, 100,
          "Transfers move 1 .. max_amount cents, small against the balances so few are "
          "refused.");
ABSL_FLAG(bool, shared_accounts, false,
          "Others may move money in or out of these accounts meanwhile: report a change in "
          "their total, but do not fail because of it.");
ABSL_FLAG(uint64_t, seed, 1,
          "Seed of the operations, accounts and amounts drawn (and of Poisson arrivals): the "
          "same seed, the same sequence.");
ABSL_FLAG(std::string, json, "", "Also write the full result (histogram included) as JSON here.");
ABSL_FLAG(std::string, metrics, "",
          "host[:port] of the server's Prometheus /metrics (port default " +
              std::to_string(ledger::kDefaultMetricsPort) +
              "): sample its calls in flight, threads per mode and resident memory every 250 "
              "ms while the load runs. Empty: do not.");
ABSL_FLAG(std::string, thread_metrics, "",
          "With --compare, when thread mode runs in a server process of its own: host[:port] "
          "of that process's /metrics (and --metrics that of the coroutine one), so each "
          "mode's resident memory is its own. Empty: --metrics serves both modes.");
ABSL_FLAG(bool, compare, false,
          "Compare the serving modes: the same closed-loop workload against --target "
          "(coroutine) and --thread_target (thread), taking turns, at each of --levels; "
          "writes a table, JSON and an SVG plot to --out_dir.");
ABSL_FLAG(std::string, levels, "16,256,2048,8192",
          "With --compare: the calls in flight to measure at, comma-separated.");
ABSL_FLAG(int, rounds, 2,
          "With --compare: slices each mode's --duration at a level is cut into; the mode "
          "that goes first alternates, so drift of the machine hits both modes alike.");
ABSL_FLAG(std::string, out_dir, "ledger-load-compare",
          "With --compare: directory for compare.json, compare.md and compare.svg (made if "
          "missing).");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(10),
          "How long to wait for the server to accept connections before giving up.");

namespace ledger::load {
namespace {

// A prefix no other run picks: time and randomness, short enough to leave
// room for the index in an account id (contract/account_id.h).
std::string UniqueRunTag() {
  std::random_device entropy;
  return absl::StrCat("load-", absl::Hex(absl::ToUnixSeconds(absl::Now())), "-",
                      absl::Hex(entropy() & 0xffffff), "-");
}

}  // namespace

std::optional<Options> OptionsFromFlags(const std::set<std::string>& given) {
  bool valid = true;
  auto complain = [&valid](const std::string& message) {
    Log("invalid flag: %s", message);
    valid = false;
  };
  auto was_given = [&given](const char* name) { return given.count(name) > 0; };
  Options options;
  options.compare = absl::GetFlag(FLAGS_compare);
  const bool compare = options.compare;
  LoadPlan& plan = options.plan;
  WorkloadOptions& workload = options.workload;

  options.target = absl::GetFlag(FLAGS_target);
  options.thread_target = absl::GetFlag(FLAGS_thread_target);
  if (options.target.empty()) complain("--target must not be empty");
  if (options.thread_target.empty()) complain("--thread_target must not be empty");
  options.connections = absl::GetFlag(FLAGS_connections);
  if (options.connections < 1 || options.connections > 256) {
    complain(absl::StrCat("--connections=", options.connections, " must be 1 to 256"));
  }
  options.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  if (options.connect_timeout <= absl::ZeroDuration()) {
    complain("--connect_timeout must be positive");
  }

  plan.rate = absl::GetFlag(FLAGS_rate);
  plan.loop = plan.rate > 0 ? Loop::kOpen : Loop::kClosed;
  if (!(plan.rate >= 0 && plan.rate <= 10'000'000)) {
    complain(absl::StrCat("--rate=", plan.rate, " must be 0 (closed loop) to 10000000 calls/s"));
  }
  plan.concurrency = absl::GetFlag(FLAGS_concurrency);
  if (plan.concurrency < 1 || plan.concurrency > 1'000'000) {
    complain(absl::StrCat("--concurrency=", plan.concurrency, " must be 1 to 1000000"));
  }
  if (plan.loop == Loop::kOpen && was_given("concurrency")) {
    complain(
        "--concurrency is for the closed loop; with --rate, the schedule decides how many "
        "calls are in flight (bounded by --max_outstanding)");
  }
  const std::string arrivals = absl::GetFlag(FLAGS_arrivals);
  if (arrivals == "poisson") {
    plan.arrivals = Arrivals::kPoisson;
  } else if (arrivals == "constant") {
    plan.arrivals = Arrivals::kConstant;
  } else {
    complain(absl::StrCat("--arrivals=", arrivals, " is not one of poisson, constant"));
  }
  plan.max_outstanding = absl::GetFlag(FLAGS_max_outstanding);
  if (plan.max_outstanding < 1) {
    complain(absl::StrCat("--max_outstanding=", plan.max_outstanding, " must be at least 1"));
  }
  if (plan.loop == Loop::kClosed && (was_given("arrivals") || was_given("max_outstanding"))) {
    complain("--arrivals and --max_outstanding are for the open loop: give a --rate too");
  }

  plan.duration = absl::GetFlag(FLAGS_duration);
  plan.requests = absl::GetFlag(FLAGS_requests);
  plan.warmup = absl::GetFlag(FLAGS_warmup);
  plan.call_timeout = absl::GetFlag(FLAGS_call_timeout);
  if (plan.duration <= absl::ZeroDuration()) complain("--duration must be positive");
  if (plan.requests < 0) complain("--requests must not be negative");
  if (plan.requests > 0 && was_given("duration")) {
    complain("give --duration or --requests, not both");
  }
  if (plan.warmup < absl::ZeroDuration()) complain("--warmup must not be negative");
  if (plan.call_timeout <= absl::ZeroDuration()) complain("--call_timeout must be positive");

  if (absl::StatusOr<Mix> mix = ParseMix(absl::GetFlag(FLAGS_mix)); mix.ok()) {
    workload.mix = *mix;
  } else {
    complain(absl::StrCat("--mix=", absl::GetFlag(FLAGS_mix), ": ", mix.status().message()));
  }
  workload.list_limit = absl::GetFlag(FLAGS_list_limit);
  if (workload.list_limit < 0 || workload.list_limit > 100'000) {
    complain(absl::StrCat("--list_limit=", workload.list_limit, " must be 0 (all) to 100000"));
  }
  workload.stream_transfers = absl::GetFlag(FLAGS_stream_transfers);
  if (workload.stream_transfers < 1 || workload.stream_transfers > 1000) {
    complain(absl::StrCat("--stream_transfers=", workload.stream_transfers, " must be 1 to 1000"));
  }

  const int accounts = absl::GetFlag(FLAGS_accounts);
  if (accounts < 2 || accounts > 10'000'000) {
    complain(
        absl::StrCat("--accounts=", accounts, " must be 2 (a transfer needs two) to 10000000"));
  }
  options.account_prefix = absl::GetFlag(FLAGS_account_prefix);
  // The longest id this run makes: the prefix and the largest index.
  if (!IsValidAccountId(absl::StrCat(options.account_prefix, std::max(accounts, 1)))) {
    complain(absl::StrCat("--account_prefix=", options.account_prefix, ": account ids are 1 to ",
                          kMaxAccountIdLength, " of [A-Za-z0-9_.-], index included"));
  }
  options.existing = absl::GetFlag(FLAGS_existing);
  if (options.existing && options.account_prefix.empty()) {
    complain("--existing needs the --account_prefix of the accounts to use");
  }
  options.initial_balance = absl::GetFlag(FLAGS_initial_balance);
  if (options.initial_balance < 0 ||
      (accounts > 0 && options.initial_balance > std::numeric_limits<int64_t>::max() / accounts)) {
    complain(absl::StrCat("--initial_balance=", options.initial_balance,
                          " must be at least 0, and all accounts together must fit an int64"));
  }
  options.shared_accounts = absl::GetFlag(FLAGS_shared_accounts);
  workload.max_amount = absl::GetFlag(FLAGS_max_amount);
  if (workload.max_amount < 1) complain("--max_amount must be at least 1");
  workload.seed = absl::GetFlag(FLAGS_seed);
  const std::string run_tag = UniqueRunTag();
  if (options.account_prefix.empty()) options.account_prefix = absl::StrCat(run_tag, "a");
  workload.request_id_prefix = absl::StrCat(run_tag, "r");
  if (accounts >= 2) workload.account_ids = AccountIds(options.account_prefix, accounts);
  options.json_path = absl::GetFlag(FLAGS_json);

  // host:port, [v6]:port, or a host alone, which gets the server's default
  // metrics port here so every report names the full address.
  auto metrics_address = [&complain](const char* flag, std::string address) {
    if (address.empty()) return address;
    const size_t colon = address.rfind(':');
    const size_t bracket = address.rfind(']');
    int port = 0;
    if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) {
      absl::StrAppend(&address, ":", kDefaultMetricsPort);
    } else if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 1 || port > 65535 ||
               colon == 0) {
      complain(absl::StrCat("--", flag, "=", address, " is not host or host:port"));
    }
    return address;
  };
  options.metrics = metrics_address("metrics", absl::GetFlag(FLAGS_metrics));
  options.thread_metrics = metrics_address("thread_metrics", absl::GetFlag(FLAGS_thread_metrics));
  if (!options.thread_metrics.empty() && options.metrics.empty()) {
    complain("--thread_metrics needs --metrics (the coroutine mode's endpoint)");
  }

  if (compare) {
    for (absl::string_view level : absl::StrSplit(absl::GetFlag(FLAGS_levels), ',')) {
      int value = 0;
      if (!absl::SimpleAtoi(level, &value) || value < 1 || value > 1'000'000) {
        complain(absl::StrCat("--levels=", absl::GetFlag(FLAGS_levels),
                              ": each level is a number of calls in flight, 1 to 1000000"));
        break;
      }
      options.levels.push_back(value);
    }
    options.rounds = absl::GetFlag(FLAGS_rounds);
    if (options.rounds < 1 || options.rounds > 100) {
      complain(absl::StrCat("--rounds=", options.rounds, " must be 1 to 100"));
    }
    options.out_dir = absl::GetFlag(FLAGS_out_dir);
    if (options.out_dir.empty()) complain("--out_dir must not be empty");
    for (const char* closed_only : {"rate", "concurrency", "requests"}) {
      if (was_given(closed_only)) {
        complain(absl::StrCat("--", closed_only,
                              " does not apply to --compare, which runs a closed loop at each "
                              "of --levels for --duration"));
      }
    }
  } else {
    for (const char* compare_only : {"thread_target", "levels", "rounds", "out_dir"}) {
      if (was_given(compare_only)) {
        complain(absl::StrCat("--", compare_only, " applies only with --compare"));
      }
    }
  }
  if (!valid) return std::nullopt;
  return options;
}

}  // namespace ledger::load
