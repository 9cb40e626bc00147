// What one load run measured: latencies (overall and per operation), calls
// per status code, the counts throughput is computed from, and the server's
// peaks meanwhile. Results of the same workload add up (Merge), which is how
// --compare's rounds combine.
#pragma once

#include <grpcpp/support/status.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "client/load/error_kinds.h"
#include "client/load/latency_histogram.h"
#include "client/load/metrics_probe.h"
#include "client/load/workload.h"

namespace ledger::load {

// gRPC's codes are 0 .. 16; anything else would be counted as UNKNOWN.
inline constexpr int kStatusCodes = 17;

inline int CodeIndex(grpc::StatusCode code) {
  const int index = static_cast<int>(code);
  return index >= 0 && index < kStatusCodes ? index : static_cast<int>(grpc::StatusCode::UNKNOWN);
}

struct OperationResult {
  LatencyHistogram latency;
  int64_t errors = 0;
};

struct RunResult {
  LatencyHistogram latency;  // every measured call, OK or not
  std::array<OperationResult, kOperationKinds> by_operation;
  std::array<int64_t, kStatusCodes> by_code{};
  ErrorKinds error_kinds;    // the failed calls of by_code, by code and message kind
  int64_t warmup_calls = 0;  // made during --warmup, measured nowhere
  // Throughput = completed_in_window / window_seconds: calls that completed
  // inside the measured window, over its length, so a run's draining tail
  // neither inflates nor dilutes it.
  int64_t completed_in_window = 0;
  double window_seconds = 0;
  int peak_in_flight = 0;             // most calls this client had started and not seen end
  std::optional<ServerPeaks> server;  // with --metrics

  int64_t calls() const { return latency.count(); }
  int64_t errors() const { return calls() - by_code[0]; }
  double throughput() const {
    return window_seconds > 0 ? completed_in_window / window_seconds : 0;
  }

  // `kind` is the Operation's index; `message` is the failed call's.
  void Record(size_t kind, grpc::StatusCode code, int64_t latency_nanos,
              std::string_view message = {}) {
    latency.RecordNanos(latency_nanos);
    OperationResult& operation = by_operation[kind];
    operation.latency.RecordNanos(latency_nanos);
    if (code != grpc::StatusCode::OK) {
      ++operation.errors;
      CountErrorKind(error_kinds, CodeIndex(code), message);
    }
    ++by_code[CodeIndex(code)];
  }

  void Merge(const RunResult& other) {
    latency.Merge(other.latency);
    for (size_t k = 0; k < kOperationKinds; ++k) {
      by_operation[k].latency.Merge(other.by_operation[k].latency);
      by_operation[k].errors += other.by_operation[k].errors;
    }
    for (int c = 0; c < kStatusCodes; ++c) by_code[c] += other.by_code[c];
    for (const auto& [key, count] : other.error_kinds) {
      CountErrorKind(error_kinds, key.first, key.second, count);
    }
    warmup_calls += other.warmup_calls;
    completed_in_window += other.completed_in_window;
    window_seconds += other.window_seconds;
    peak_in_flight = std::max(peak_in_flight, other.peak_in_flight);
    if (other.server) {
      if (!server) server.emplace();
      server->Merge(*other.server);
    }
  }
};

}  // namespace ledger::load
