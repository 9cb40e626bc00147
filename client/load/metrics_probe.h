// Reads the server's Prometheus /metrics while load runs: how many threads
// each mode uses, calls in flight, and the process's resident memory. The
// numbers come from the server itself (service/metrics), so a comparison of
// the modes shows what each costs, not what the client guesses.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ledger::load {

// Where /metrics is: "host:port", "[v6]:port", or a host alone, which means
// the server's default metrics port.
struct MetricsAddress {
  std::string host;  // without the brackets of an IPv6 address
  int port = 0;

  std::string ToString() const;  // "host:port", "[v6]:port"
};
// nullopt unless there is a host and the port is 1 to 65535.
std::optional<MetricsAddress> ParseMetricsAddress(absl::string_view text);

// GETs http://host:port/metrics over HTTP/1.0 on a plain socket (the server
// closes the connection after the body) and returns the body.
absl::StatusOr<std::string> FetchMetrics(absl::string_view address, absl::Duration timeout);

// The largest values seen while sampling; absent if never seen.
struct ServerPeaks {
  std::map<std::string, double> mode_threads;    // ledger_mode_threads, by mode
  std::map<std::string, double> inflight_calls;  // ledger_inflight_calls, by mode
  std::optional<double> resident_memory_bytes;   // process_resident_memory_bytes
  int samples = 0;
  int failures = 0;  // scrapes that failed (the run goes on without them)

  void Merge(const ServerPeaks& other);
  // The largest count of `mode`'s own threads, as the server counts them.
  std::optional<double> ModeThreads(const std::string& mode) const;
};

// How often the server's gauges are read while load runs: often enough to
// catch the thread count of a short level, rarely enough to cost the server
// nothing.
inline constexpr absl::Duration kSamplePeriod = absl::Milliseconds(250);

// Scrapes `address` every kSamplePeriod on its own thread (a blocking socket
// has no place on the client's completion-queue thread) from construction
// until Stop(); does nothing for an empty address.
class MetricsProbe {
 public:
  explicit MetricsProbe(std::string address);

  // Takes a last sample, stops the thread and returns the peaks seen;
  // nullopt without an address.
  std::optional<ServerPeaks> Stop();

 private:
  void Sample();

  const std::string address_;
  std::mutex mutex_;
  ServerPeaks peaks_;    // guarded by mutex_ while the thread runs
  std::jthread thread_;  // last, so that it stops before the rest goes
};

}  // namespace ledger::load
