#include "service/metrics/failed_call_log.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "logging/log.h"

namespace ledger::metrics {

bool IsServerFailure(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return false;
  }
}

FailedCallLog::FailedCallLog(int lines_per_second, Sink sink, Clock clock)
    : lines_per_second_(lines_per_second),
      sink_(sink ? std::move(sink)
                 : Sink([](absl::string_view line, std::initializer_list<logging::Field> fields) {
                     logging::Write(logging::Level::kError, line, fields);
                   })),
      clock_(clock ? std::move(clock) : Clock(&absl::Now)) {}

void FailedCallLog::Write(const FailedCall& call) {
  std::lock_guard lock(mutex_);
  const absl::Time now = clock_();
  if (now - window_start_ >= absl::Seconds(1)) {
    window_start_ = now;
    written_in_window_ = 0;
    if (left_out_ > 0) {
      const int64_t left_out = std::exchange(left_out_, 0);
      sink_(absl::StrFormat("failed calls: %d more were not logged (at most %d lines a second)",
                            left_out, lines_per_second_),
            {{"not_logged", left_out}});
    }
  }
  if (written_in_window_ >= lines_per_second_) {
    ++left_out_;
    return;
  }
  ++written_in_window_;
  // Messages and details come from anywhere: escaped, they stay on one line.
  const std::string code = absl::StatusCodeToString(static_cast<absl::StatusCode>(call.code));
  std::string line = absl::StrCat(
      "failed call: method=", call.method, " code=", code, " mode=", call.mode, " peer=", call.peer,
      " duration=", absl::FormatDuration(absl::Trunc(call.duration, absl::Microseconds(1))),
      " message=\"", absl::CHexEscape(call.message), "\"");
  if (!call.detail.empty())
    absl::StrAppend(&line, " detail=\"", absl::CHexEscape(call.detail), "\"");
  sink_(line, {{"method", call.method},
               {"code", code},
               {"mode", call.mode},
               {"peer", call.peer},
               {"duration_ms", absl::ToDoubleMilliseconds(call.duration)},
               {"status_message", call.message},
               {"detail", call.detail}});
}

}  // namespace ledger::metrics
