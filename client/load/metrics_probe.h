// Reads the server's Prometheus /metrics while load runs: how many threads
// each mode uses, calls in flight, and the process's resident memory. The
// numbers come from the server itself (service/metrics), so a comparison of
// the modes shows what each costs, not what the client guesses.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ledger::load {

// GETs http://host:port/metrics over HTTP/1.0 on a plain socket (the server
// closes the connection after the body) and returns the body. A missing
// port means the server's default metrics port.
absl::StatusOr<std::string> FetchMetrics(absl::string_view host_port, absl::Duration timeout);

// The value of the sample `name` whose labels are exactly `labels` (e.g.
// {{"mode", "thread"}}; empty for none), from Prometheus's text format.
std::optional<double> FindSample(absl::string_view text, absl::string_view name,
                                 const std::map<std::string, std::string>& labels = {});

// The largest values seen while sampling; absent if never seen.
struct ServerPeaks {
  std::map<std::string, double> mode_threads;    // ledger_mode_threads, by mode
  std::map<std::string, double> inflight_calls;  // ledger_inflight_calls, by mode
  std::optional<double> resident_memory_bytes;   // process_resident_memory_bytes
  int samples = 0;
  int failures = 0;  // scrapes that failed (the run goes on without them)

  void Merge(const ServerPeaks& other);
};

// Scrapes every `period` on its own thread (a blocking socket has no place
// on the client's completion-queue thread) from Start() until Stop().
class MetricsProbe {
 public:
  MetricsProbe(std::string host_port, absl::Duration period);
  ~MetricsProbe();
  MetricsProbe(const MetricsProbe&) = delete;
  MetricsProbe& operator=(const MetricsProbe&) = delete;

  void Start();
  // Takes a last sample, stops the thread and returns the peaks since Start().
  ServerPeaks Stop();

 private:
  void Sample();
  void Loop();

  const std::string host_port_;
  const absl::Duration period_;
  std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  ServerPeaks peaks_;  // guarded by mutex_ while the thread runs
  std::thread thread_;
};

}  // namespace ledger::load
