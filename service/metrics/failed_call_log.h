// FailedCallLog: one line in the server's log for each call that ended with a
// code saying the server failed it (INTERNAL, UNAVAILABLE, UNKNOWN,
// DATA_LOSS): its method, code, mode, peer, duration, status message and,
// for a handler that threw, what the exception said. Both modes write it
// from the same place, the CallMeasure their handler wrapper finishes
// (call_metrics.h), so every such call that reaches our code is logged once,
// whoever ended it. An outage may fail every call: past `lines_per_second`
// lines in a second the rest are only counted, and the next line written
// says how many were left out.
//
// The lines are errors: each is a call the server failed, what an operator
// alerting on errors wants to see. In JSON the call's method, code, mode,
// peer, duration_ms, status_message and detail are keys of their own.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "logging/log.h"

namespace ledger::metrics {

// The codes that say the server, not the caller, is at fault.
bool IsServerFailure(grpc::StatusCode code);

struct FailedCall {
  absl::string_view mode;    // coroutine or thread
  absl::string_view method;  // "/ledger.v1.Ledger/Transfer"
  grpc::StatusCode code;
  absl::string_view message;  // the status message the client gets
  absl::string_view detail;   // what only the log gets; may be empty
  absl::string_view peer;
  absl::Duration duration;
};

class FailedCallLog {
 public:
  static constexpr int kDefaultLinesPerSecond = 20;
  // A line in words, and the same as fields for JSON.
  using Sink =
      std::function<void(absl::string_view line, std::initializer_list<logging::Field> fields)>;
  using Clock = std::function<absl::Time()>;

  // Lines go to the server's log (stderr) unless `sink` says otherwise.
  explicit FailedCallLog(int lines_per_second = kDefaultLinesPerSecond, Sink sink = nullptr,
                         Clock clock = nullptr);
  FailedCallLog(const FailedCallLog&) = delete;
  FailedCallLog& operator=(const FailedCallLog&) = delete;

  // Thread-safe.
  void Write(const FailedCall& call);

 private:
  const int lines_per_second_;
  const Sink sink_;
  const Clock clock_;
  std::mutex mutex_;  // held while a line is written, so lines keep their order
  absl::Time window_start_ = absl::InfinitePast();
  int written_in_window_ = 0;
  int64_t left_out_ = 0;  // in the windows since the last line written
};

}  // namespace ledger::metrics
