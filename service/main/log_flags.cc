#include "service/main/log_flags.h"

#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "logging/log.h"
#include "service/main/defaults.h"

ABSL_FLAG(std::string, log_level, ledger::kDefaultLogLevel,
          "Least severe lines written, each level adding to those after it: debug (every flag's "
          "value at start-up, for a fault report), info (start-up, listening ports, shutdown, "
          "health changes), warn (what is left open, such as TLS or authentication off, and "
          "what a client sent wrong), error (failed calls, what stops the server from "
          "starting).");
ABSL_FLAG(std::string, log_format, ledger::kDefaultLogFormat,
          "text: one line per event, `<UTC time> ledger-server: <message>`. json: one JSON "
          "object per line (ts, level, logger, msg; a failed call's method, code, mode, peer, "
          "duration_ms and detail as keys of their own), for Loki and other collectors.");

namespace ledger {

bool ConfigureLogFromFlags() {
  const std::string level_name = absl::GetFlag(FLAGS_log_level);
  const std::string format_name = absl::GetFlag(FLAGS_log_format);
  const std::optional<logging::Level> level = logging::ParseLevel(level_name);
  const std::optional<logging::Format> format = logging::ParseFormat(format_name);
  // Until both are known, complaints are written as text, at every level.
  logging::Configure(kServerLogName, level.value_or(logging::Level::kDebug),
                     format.value_or(logging::Format::kText));
  if (!level) {
    LogError("invalid flag: --log_level=%s is not one of %s", level_name, logging::kLevelChoices);
  }
  if (!format) {
    LogError("invalid flag: --log_format=%s is not one of %s", format_name,
             logging::kFormatChoices);
  }
  return level && format;
}

}  // namespace ledger
