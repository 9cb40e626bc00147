// One line per event on stderr, with a UTC timestamp: what operators read in
// `kubectl logs`. Kept tiny on purpose; Debian's Abseil predates absl/log.
#pragma once

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ledger {

template <typename... Args>
void Log(const absl::FormatSpec<Args...>& format, const Args&... args) {
  const std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                   " ledger-server: ", absl::StrFormat(format, args...), "\n");
  std::fputs(line.c_str(), stderr);
}

}  // namespace ledger
