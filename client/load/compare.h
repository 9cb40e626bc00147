// --compare: the identical closed-loop workload against the coroutine port
// and the thread port at each concurrency level, so the two ways of waiting
// are measured under the same load on the same machine.
//
// Fairness: both modes serve one store in one server process, the workload
// is drawn from the same seed for every run (same operations, same
// accounts), and the modes take turns. Each level is split into --rounds
// slices per mode, and the mode that goes first alternates from slice to
// slice and level to level (ABBA...), so a machine that speeds up or slows
// down during the run (thermal limits, a noisy neighbour) favours neither.
// Each slice is measured after its own warmup, since switching modes
// switches which threads are hot. A mode's slices at a level are its rounds:
// the report gives each figure as their median and range (compare_stats.h),
// so a difference between the modes can be weighed against the spread of
// the rounds.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "client/load/channels.h"
#include "client/load/ledger_accounts.h"
#include "client/load/options.h"
#include "client/load/progress.h"
#include "client/load/run_result.h"
#include "contract/serving_mode.h"
#include "coro/completion_queue_threads.h"

namespace ledger::load {

// What --compare measured, from which the table, the JSON and the plot are
// all drawn (with the Options it ran with).
struct LevelResult {
  int concurrency = 0;
  // Each mode's rounds in the order they ran, as kModeNames.
  std::array<std::vector<RunResult>, kModeNames.size()> rounds;
  // Each mode's rounds added up: the totals of calls, codes and error kinds.
  std::array<RunResult, kModeNames.size()> merged;
};
// Where the run ran: the machine's online cores and those this process
// may run on ("0-1"), so the report can say whether load and servers shared
// cores.
struct CoresSeen {
  int online = 0;
  std::string load_cpus;
};
struct CompareResult {
  std::vector<LevelResult> levels;
  CoresSeen cores;
  LedgerCheck ledger;
};

// This machine's cores and this process's affinity, read now.
CoresSeen SeeCores();

// Runs every level of options.compare and every mode; `channels` by mode, as
// kModeNames. Each slice takes options.plan's call timeout, and the workload
// of options.workload with request ids of its own. The result's ledger check
// is left to the caller, who holds the accounts.
CompareResult RunCompare(const Options& options,
                         const std::array<Channels*, kModeNames.size()>& channels,
                         coro::CompletionQueueThreads& client, ProgressLine& progress);

}  // namespace ledger::load
