// --soak's flags: how often it reports, and the tolerances of its verdict
// (client/load/soak_rule.h states the rule).
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/load/options.h"
#include "client/load/soak.h"
#include "contract/account_id.h"
#include "contract/serving_mode.h"

ABSL_FLAG(bool, soak, false,
          "Soak both serving modes at once: the workload against --target (coroutine mode) and "
          "--thread_target (thread mode) for --duration, each mode on accounts of its own. "
          "After every --report_every of load it pauses, and once every call has ended prints "
          "a line per mode: calls/s, p99 latency and errors of the period; the server's "
          "resident memory, threads (now and the most during the period) and live coroutine "
          "frames; the transfers committed so far and the total of the mode's accounts. Exit "
          "code 1, with a line saying why, if a total ever changes, an Audit finds an "
          "inconsistent account, a server keeps calls in flight after the pause, or memory or "
          "frames keep growing (the last third of the samples against the middle third, see "
          "--soak_memory_tolerance, --soak_bytes_per_record and --soak_frames_tolerance). "
          "Needs --metrics (and --thread_metrics when thread mode runs in a server of its "
          "own). Closed loop (--concurrency) or open loop (--rate), per mode.");
ABSL_FLAG(absl::Duration, report_every, absl::Minutes(1),
          "With --soak: the load between two samples, e.g. 1m or 30s. The pauses to sample "
          "(well under a second each) do not count in --duration.");
ABSL_FLAG(double, soak_memory_tolerance, ledger::load::SoakRule().memory_tolerance,
          "With --soak: how much more the median resident memory of the last third of the "
          "samples may be than the middle third's, after the store's own growth is taken off "
          "(--soak_bytes_per_record), as a fraction of the middle third's median (0.1 = 10%).");
ABSL_FLAG(double, soak_bytes_per_record, ledger::load::SoakRule().bytes_per_record,
          "With --soak: resident memory (bytes) each transfer committed and each account "
          "opened may add for good, since the embedded store keeps them all (receipt, request "
          "id, both accounts' journal entries). Measured: 530 to 680 per transfer in either "
          "mode, 200,000 to 360,000 transfers at a time; the default leaves half as much again. "
          "0 judges raw memory (right for a store that lives elsewhere).");
ABSL_FLAG(double, soak_frames_tolerance, ledger::load::SoakRule().frames_tolerance,
          "With --soak: how many more live coroutine frames the median of the last third of "
          "the samples may show than the middle third's. Samples are taken with no call in "
          "flight, when the frames are the accepts standing ready, so a few absorb a call "
          "still being torn down.");

namespace ledger::load {
namespace {

// The flags a soak decides itself, or that would make its verdict meaningless.
constexpr const char* kNotWithSoak[][2] = {
    {"compare", "give --compare or --soak, not both"},
    {"requests", "the soak runs for --duration"},
    {"warmup", "the soak's first third is its warm-up"},
    {"existing", "the soak opens accounts of its own, so it knows their total"},
    {"shared_accounts", "the soak's totals must hold exactly"},
    {"json", "the soak prints its samples; redirect stdout to keep them"},
};

constexpr const char* kSoakOnly[] = {"report_every", "soak_memory_tolerance",
                                     "soak_bytes_per_record", "soak_frames_tolerance"};

}  // namespace

bool SoakFlag() { return absl::GetFlag(FLAGS_soak); }

SoakOptions ReadSoakFlags(const CommandLine& command_line, const std::string& account_prefix,
                          int accounts, const std::string& metrics, FlagErrors& errors) {
  SoakOptions soak;
  soak.enabled = SoakFlag();
  if (!soak.enabled) {
    for (const char* soak_only : kSoakOnly) {
      if (command_line.Given(soak_only)) {
        errors.push_back(absl::StrCat("--", soak_only, " applies only with --soak"));
      }
    }
    return soak;
  }
  for (const auto& [flag, why] : kNotWithSoak) {
    if (command_line.Given(flag)) {
      errors.push_back(absl::StrCat("--", flag, " does not apply to --soak: ", why));
    }
  }
  if (metrics.empty()) {
    errors.push_back(
        "--soak needs --metrics: it reads each server's memory, threads and coroutine frames");
  }
  soak.report_every = absl::GetFlag(FLAGS_report_every);
  if (soak.report_every <= absl::ZeroDuration()) {
    errors.push_back("--report_every must be positive");
  }
  soak.rule.memory_tolerance = absl::GetFlag(FLAGS_soak_memory_tolerance);
  if (!(soak.rule.memory_tolerance >= 0)) {
    errors.push_back("--soak_memory_tolerance must be at least 0");
  }
  soak.rule.bytes_per_record = absl::GetFlag(FLAGS_soak_bytes_per_record);
  if (!(soak.rule.bytes_per_record >= 0)) {
    errors.push_back("--soak_bytes_per_record must be at least 0");
  }
  soak.rule.frames_tolerance = absl::GetFlag(FLAGS_soak_frames_tolerance);
  if (!(soak.rule.frames_tolerance >= 0)) {
    errors.push_back("--soak_frames_tolerance must be at least 0");
  }
  // The longest id the soak makes: ReadAccountFlags checked the prefix alone.
  for (const char* mode : kModeNames) {
    const std::string longest = absl::StrCat(SoakAccountPrefix(account_prefix, mode), accounts);
    if (!IsValidAccountId(longest)) {
      errors.push_back(absl::StrCat("--account_prefix=", account_prefix,
                                    ": with --soak, ids such as ", longest, " must be 1 to ",
                                    kMaxAccountIdLength, " of [A-Za-z0-9_.-]"));
      break;
    }
  }
  return soak;
}

}  // namespace ledger::load
