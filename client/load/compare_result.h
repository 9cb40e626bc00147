// What --compare measured: the same workload at each concurrency level in
// each serving mode, with what the server reported meanwhile. The report,
// the JSON and the plot are all drawn from this one structure and the
// Options it was run with.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "client/load/ledger_accounts.h"
#include "client/load/metrics_probe.h"
#include "client/load/run_result.h"
#include "contract/serving_mode.h"

namespace ledger::load {

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
  std::vector<LevelResult> levels;
  LedgerCheck ledger;
};

}  // namespace ledger::load
