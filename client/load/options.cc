// The server's flags, and the reading of every group into Options.
#include "client/load/options.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/common/connection_flags.h"
#include "contract/ports.h"
#include "logging/log.h"

// Each flag with its default and what it does: --help prints these.
ABSL_FLAG(std::string, target, absl::StrCat("localhost:", ledger::kDefaultPort),
          "Server to load: host:port of a ledger gRPC port, or any gRPC target (several "
          "servers: see --load_balancing). With --compare and --soak, the coroutine mode's "
          "port.");
ABSL_FLAG(std::string, thread_target, absl::StrCat("localhost:", ledger::kDefaultThreadPort),
          "With --compare and --soak: host:port of the thread-per-request mode's port.");
ABSL_FLAG(std::string, thread_metrics, "",
          "With --compare and --soak, when thread mode runs in a server process of its own: "
          "host[:port] of that process's /metrics (and --metrics that of the coroutine one), so "
          "each mode's resident memory is its own. Empty: --metrics serves both modes.");
ABSL_FLAG(int, connections, 4,
          "gRPC channels (per target), each its own HTTP/2 connection; calls take them in "
          "turn.");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(10),
          "How long to wait for the server to accept connections before giving up.");

namespace ledger::load {
namespace {

// Thread mode's port and metrics, for the runs that load both modes.
void ReadThreadModeFlags(const CommandLine& command_line, bool both_modes, Options& options,
                         FlagErrors& errors) {
  options.thread_target = absl::GetFlag(FLAGS_thread_target);
  if (options.thread_target.empty()) errors.push_back("--thread_target must not be empty");
  options.thread_metrics =
      MetricsAddressFlag("thread_metrics", absl::GetFlag(FLAGS_thread_metrics), errors);
  if (!options.thread_metrics.empty() && options.output.metrics.empty()) {
    errors.push_back("--thread_metrics needs --metrics (the coroutine mode's endpoint)");
  }
  if (both_modes) return;
  for (const char* both_modes_only : {"thread_target", "thread_metrics"}) {
    if (command_line.Given(both_modes_only)) {
      errors.push_back(
          absl::StrCat("--", both_modes_only, " applies only with --compare or --soak"));
    }
  }
}

}  // namespace

std::optional<Options> OptionsFromFlags(const CommandLine& command_line) {
  FlagErrors errors;
  Options options;
  const bool soak = SoakFlag();
  options.target = absl::GetFlag(FLAGS_target);
  if (options.target.empty()) errors.push_back("--target must not be empty");
  options.connections = absl::GetFlag(FLAGS_connections);
  if (options.connections < 1 || options.connections > 256) {
    errors.push_back(absl::StrCat("--connections=", options.connections, " must be 1 to 256"));
  }
  options.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  if (options.connect_timeout <= absl::ZeroDuration()) {
    errors.push_back("--connect_timeout must be positive");
  }
  if (absl::StatusOr<ChannelSecurity> security = ChannelSecurityFromFlags(command_line);
      security.ok()) {
    options.security = std::move(*security);
  } else {
    errors.push_back(std::string(security.status().message()));
  }
  if (absl::Status valid = ApplyLoadBalancingFlag(options.channel_arguments); !valid.ok()) {
    errors.push_back(std::string(valid.message()));
  }
  options.plan = ReadPlanFlags(command_line, errors);
  options.workload = ReadWorkloadFlags(command_line, soak, errors);
  options.accounts = ReadAccountFlags(options.workload, errors);
  options.output = ReadOutputFlags(errors);
  options.compare = ReadCompareFlags(command_line, errors);
  options.soak = ReadSoakFlags(command_line, options.accounts.prefix,
                               static_cast<int>(options.workload.account_ids.size()),
                               options.output.metrics, errors);
  ReadThreadModeFlags(command_line, options.compare.enabled || options.soak.enabled, options,
                      errors);
  for (const std::string& error : errors) LogError("invalid flag: %s", error);
  if (!errors.empty()) return std::nullopt;
  return options;
}

}  // namespace ledger::load
