#include "client/load/progress.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

#include "absl/strings/str_format.h"

namespace ledger::load {

ProgressLine::ProgressLine() : enabled_(isatty(STDERR_FILENO) == 1) {}

std::function<void(const ProgressSnapshot&)> ProgressLine::For(std::string label) {
  if (!enabled_) return {};
  last_completed_ = 0;
  last_elapsed_ = absl::ZeroDuration();
  return [this, label = std::move(label)](const ProgressSnapshot& now) {
    const double seconds = absl::ToDoubleSeconds(now.elapsed - last_elapsed_);
    const double rate = seconds > 0 ? (now.completed - last_completed_) / seconds : 0;
    last_completed_ = now.completed;
    last_elapsed_ = now.elapsed;
    // \r and "erase to end of line": the next second overwrites this one.
    const std::string line = absl::StrFormat(
        "\r\033[K%s %.0fs: %d calls (%.0f/s now), %d in flight, %d errors", label,
        absl::ToDoubleSeconds(now.elapsed), now.completed, rate, now.in_flight, now.errors);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    shown_ = true;
  };
}

void ProgressLine::Clear() {
  if (!shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace ledger::load
