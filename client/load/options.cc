// The server's flags, and the reading of every group into Options.
#include "client/load/options.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/common/connection_flags.h"
#include "client/load/log.h"
#include "contract/ports.h"

// Each flag with its default and what it does: --help prints these.
ABSL_FLAG(std::string, target, absl::StrCat("localhost:", ledger::kDefaultPort),
          "Server to load: host:port of a ledger gRPC port. With --compare, the coroutine "
          "mode's port.");
ABSL_FLAG(int, connections, 4,
          "gRPC channels (per target), each its own HTTP/2 connection; calls take them in "
          "turn.");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(10),
          "How long to wait for the server to accept connections before giving up.");

namespace ledger::load {

std::optional<Options> OptionsFromFlags(const CommandLine& command_line) {
  FlagErrors errors;
  Options options;
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
  options.plan = ReadPlanFlags(command_line, errors);
  options.workload = ReadWorkloadFlags(errors);
  options.accounts = ReadAccountFlags(options.workload, errors);
  options.output = ReadOutputFlags(errors);
  options.compare = ReadCompareFlags(command_line, options.output, errors);
  for (const std::string& error : errors) Log("invalid flag: %s", error);
  if (!errors.empty()) return std::nullopt;
  return options;
}

}  // namespace ledger::load
