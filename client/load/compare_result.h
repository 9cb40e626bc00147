// What --compare measured: the same workload at each concurrency level in
// each serving mode, with what the server reported meanwhile. The report,
// the JSON and the plot are all drawn from this one structure.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/load/ledger_accounts.h"
#include "client/load/metrics_probe.h"
#include "client/load/run_result.h"
#include "contract/serving_mode.h"

namespace ledger::load {

struct CompareSettings {
  std::array<std::string, kModeNames.size()> targets;  // by mode, as kModeNames
  std::vector<int> levels;                             // closed-loop concurrency
  int connections = 1;
  absl::Duration duration;  // measured per mode and level, over all rounds
  absl::Duration warmup;    // before every slice
  int rounds = 1;
  std::string mix;
  int accounts = 0;
  uint64_t seed = 0;
  std::string metrics;         // host:port of /metrics, empty if not sampled
  std::string thread_metrics;  // thread mode's own, if it runs in a process of its own
};

struct ModeAtLevel {
  std::string mode;                   // one of kModeNames
  RunResult run;                      // the rounds merged
  std::optional<ServerPeaks> server;  // with --metrics
};

struct LevelResult {
  int concurrency = 0;
  std::array<ModeAtLevel, kModeNames.size()> modes;  // by mode, as kModeNames
};

struct CompareResult {
  CompareSettings settings;
  std::vector<LevelResult> levels;
  LedgerCheck ledger;
};

}  // namespace ledger::load
