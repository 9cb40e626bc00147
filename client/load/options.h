// ledger-load's command line: every flag is defined in options.cc, and read
// and checked once into Options, so the rest of the program sees values
// known to be valid and never a flag.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/load/load_driver.h"
#include "client/load/workload.h"

namespace ledger::load {

struct Options {
  std::string target;         // the coroutine port with --compare
  std::string thread_target;  // --compare only
  int connections = 1;
  absl::Duration connect_timeout;
  LoadPlan plan;
  WorkloadOptions workload;  // mix, account ids, seed, request ids, sizes
  std::string account_prefix;
  bool existing = false;
  int64_t initial_balance = 0;
  bool shared_accounts = false;
  std::string json_path;       // empty: no JSON
  std::string metrics;         // host:port; empty: no sampling
  std::string thread_metrics;  // host:port of thread mode's own server; empty: metrics
  bool compare = false;
  std::vector<int> levels;
  int rounds = 1;
  std::string out_dir;
};

// Reads the flags (after absl::ParseCommandLine) into Options. Logs every
// invalid value or combination, naming the flag and why, and returns nullopt
// if there was any. `given` names the flags on the command line
// (CheckCommandLine), for combinations that make no sense.
std::optional<Options> OptionsFromFlags(const std::set<std::string>& given);

}  // namespace ledger::load
