// --compare's flags: the thread mode's port, the levels, the rounds, and where
// the table and plot go.
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/load/options.h"
#include "contract/ports.h"

ABSL_FLAG(bool, compare, false,
          "Compare the serving modes: the same closed-loop workload against --target "
          "(coroutine) and --thread_target (thread), taking turns, at each of --levels; "
          "writes a table, JSON and an SVG plot to --out_dir.");
ABSL_FLAG(std::string, levels, "16,256,2048,8192",
          "With --compare: the calls in flight to measure at, comma-separated.");
ABSL_FLAG(int, rounds, 3,
          "With --compare: rounds each mode's --duration at a level is cut into (each after its "
          "own --warmup); the mode that goes first alternates, so drift of the machine hits both "
          "modes alike. Every figure is the median of the rounds with their range, and a "
          "difference between the modes is called clear only where their ranges do not "
          "overlap, which takes at least 3 rounds. Default: 3.");
ABSL_FLAG(std::string, out_dir, "ledger-load-compare",
          "With --compare: directory for compare.json, compare.md and compare.svg (made if "
          "missing).");
ABSL_FLAG(bool, shared_store, false,
          "With --compare and --thread_metrics: the two server processes share one store (e.g. "
          "one PostgreSQL database), so the accounts are opened, and the money checked, once.");

ABSL_FLAG(std::string, placement, "",
          "With --compare: how the servers were placed on the machine's cores, quoted in the "
          "report next to the core count and the cores ledger-load itself may use, e.g. "
          "\"coroutine server on cores 2, thread server on cores 3 (taskset)\"; "
          "mode_servers.sh fills it in. Default: empty (the report says it was not given).");

namespace ledger::load {
namespace {

std::vector<int> ReadLevels(FlagErrors& errors) {
  std::vector<int> levels;
  for (absl::string_view level : absl::StrSplit(absl::GetFlag(FLAGS_levels), ',')) {
    int value = 0;
    if (!absl::SimpleAtoi(level, &value) || value < 1 || value > 1'000'000) {
      errors.push_back(absl::StrCat("--levels=", absl::GetFlag(FLAGS_levels),
                                    ": each level is a number of calls in flight, 1 to 1000000"));
      break;
    }
    levels.push_back(value);
  }
  return levels;
}

}  // namespace

CompareOptions ReadCompareFlags(const CommandLine& command_line, FlagErrors& errors) {
  CompareOptions compare;
  compare.enabled = absl::GetFlag(FLAGS_compare);
  compare.shared_store = absl::GetFlag(FLAGS_shared_store);
  if (compare.shared_store && !command_line.Given("thread_metrics")) {
    errors.push_back("--shared_store applies only with --thread_metrics (servers of their own)");
  }
  if (!compare.enabled) {
    for (const char* compare_only : {"levels", "rounds", "out_dir", "shared_store", "placement"}) {
      if (command_line.Given(compare_only)) {
        errors.push_back(absl::StrCat("--", compare_only, " applies only with --compare"));
      }
    }
    return compare;
  }
  compare.levels = ReadLevels(errors);
  compare.rounds = absl::GetFlag(FLAGS_rounds);
  if (compare.rounds < 1 || compare.rounds > 100) {
    errors.push_back(absl::StrCat("--rounds=", compare.rounds, " must be 1 to 100"));
  }
  compare.placement = absl::GetFlag(FLAGS_placement);
  compare.out_dir = absl::GetFlag(FLAGS_out_dir);
  if (compare.out_dir.empty()) errors.push_back("--out_dir must not be empty");
  for (const char* closed_only : {"rate", "concurrency", "requests"}) {
    if (command_line.Given(closed_only)) {
      errors.push_back(absl::StrCat("--", closed_only,
                                    " does not apply to --compare, which runs a closed loop at "
                                    "each of --levels for --duration"));
    }
  }
  return compare;
}

}  // namespace ledger::load
