// One line per event on stderr, with a UTC timestamp: what operators read in
// `kubectl logs`. Kept tiny on purpose; Debian's Abseil predates absl/log.
// Header-only, so every library of the server (main, metrics) logs alike.
#pragma once

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ledger {

// Writes `message` as one log line, in one stdio call (which locks the
// stream), so that lines from several threads never interleave.
inline void LogLine(absl::string_view message) {
  const std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                   " ledger-server: ", message, "\n");
  std::fputs(line.c_str(), stderr);
}

template <typename... Args>
void Log(const absl::FormatSpec<Args...>& format, const Args&... args) {
  LogLine(absl::StrFormat(format, args...));
}

}  // namespace ledger
