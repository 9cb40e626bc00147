// What ledger-load is asked to do, read once from the flags and checked, so
// the rest of the program sees values known to be valid and never a flag.
// The flags are defined by group, each group in its own file beside the
// checks of its values; the reports repeat these settings, so that a result
// says what it measured.
#pragma once

#include <grpcpp/support/channel_arguments.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/common/channel_security.h"
#include "client/common/command_line.h"
#include "client/load/load_driver.h"
#include "client/load/soak_rule.h"
#include "client/load/workload.h"

namespace ledger::load {

// The accounts the workload works on (workload_options.cc).
struct AccountOptions {
  std::string prefix;  // ids are the prefix and 0 .. count-1
  bool existing = false;
  int64_t initial_balance = 0;
  bool shared = false;  // others may move money in and out too
};

// --compare: both modes at each level (compare_options.cc).
struct CompareOptions {
  bool enabled = false;
  std::vector<int> levels;  // closed-loop concurrency
  int rounds = 3;
  std::string out_dir;
  bool shared_store = false;  // the two servers share one store (a database)
  std::string placement;      // how the servers sit on the cores, as the report says it
};

// The mix of --soak unless --mix is given: transfers mostly (alone, streamed
// and imported), reads, and some of every other RPC, so that all seven run
// for the whole soak.
inline constexpr char kSoakMix[] = "get:20,transfer:50,list:8,stream:8,open:4,import:4,audit:6";

// --soak: both modes at once for --duration, a line per mode every
// --report_every, and a verdict (soak_options.cc).
struct SoakOptions {
  bool enabled = false;
  absl::Duration report_every = absl::Minutes(1);
  SoakRule rule;
};

// What the run writes besides its summary (output_options.cc).
struct OutputOptions {
  std::string json_path;  // empty: no JSON
  std::string metrics;    // host:port of the server's /metrics; empty: no sampling
};

struct Options {
  // The server (options.cc); with --compare and --soak, the coroutine mode's
  // port, and thread mode's is `thread_target`.
  std::string target;
  std::string thread_target;
  // host:port of thread mode's own server's /metrics when it runs in a
  // process of its own; empty: output.metrics serves both modes.
  std::string thread_metrics;
  int connections = 1;
  absl::Duration connect_timeout;
  // TLS, client certificate and token, for every connection (both targets of
  // --compare): client/common/connection_flags.h.
  ChannelSecurity security;
  // What every channel starts from: --load_balancing's policy.
  grpc::ChannelArguments channel_arguments;
  LoadPlan plan;             // closed or open loop, and how long (plan_options.cc)
  WorkloadOptions workload;  // the mix, sizes and seed (workload_options.cc)
  AccountOptions accounts;
  CompareOptions compare;
  SoakOptions soak;
  OutputOptions output;
};

// The mistakes found in the flags, each naming its flag and why.
using FlagErrors = std::vector<std::string>;

// Reads the flags set by ParseCommandLine into Options. Logs every invalid
// value or combination and returns nullopt if there was any; `command_line`
// says which flags were given, for combinations that make no sense.
std::optional<Options> OptionsFromFlags(const CommandLine& command_line);

// One reader per group, in the file that defines the group's flags.
LoadPlan ReadPlanFlags(const CommandLine& command_line, FlagErrors& errors);
WorkloadOptions ReadWorkloadFlags(const CommandLine& command_line, bool soak, FlagErrors& errors);
AccountOptions ReadAccountFlags(WorkloadOptions& workload, FlagErrors& errors);
OutputOptions ReadOutputFlags(FlagErrors& errors);
CompareOptions ReadCompareFlags(const CommandLine& command_line, FlagErrors& errors);
// Whether --soak is given, read first: it changes what other flags mean.
bool SoakFlag();
// `account_prefix`, `accounts` and `metrics` as read already, for the checks
// of what the soak needs.
SoakOptions ReadSoakFlags(const CommandLine& command_line, const std::string& account_prefix,
                          int accounts, const std::string& metrics, FlagErrors& errors);

// "host:port" of a --metrics address, the server's default metrics port added
// to a host alone; `flag` names it in the error.
std::string MetricsAddressFlag(const char* flag, const std::string& address, FlagErrors& errors);

}  // namespace ledger::load
