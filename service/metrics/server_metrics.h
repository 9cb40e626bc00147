// ServerMetrics: everything ledger-server exports on /metrics, and the HTTP
// endpoint that serves it (prometheus-cpp's Exposer). Series are added while
// the server starts; Serve() comes last, once every source exists.
#pragma once

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "contract/serving_mode.h"
#include "service/metrics/call_metrics.h"
#include "service/metrics/failed_call_log.h"
#include "service/metrics/process_metrics.h"
#include "service/metrics/scrape_gauges.h"
#include "service/metrics/striped_histogram.h"

namespace ledger::metrics {

class ServerMetrics {
 public:
  ServerMetrics();
  ~ServerMetrics();

  // The grpc_server_* series of `mode`; once per mode served.
  CallMetrics& AddCallSeries(ServingMode mode);
  // ledger_store_operation_seconds, which each mode's TimedStore adds to.
  HistogramFamily& store_seconds() { return *store_seconds_; }
  // ledger_postgres_pool_wait_seconds, which each mode's pool adds to.
  HistogramFamily& pool_wait_seconds() { return *pool_wait_seconds_; }
  // The connections of `mode`'s PostgreSQL pool by state, read at each scrape.
  void AddPoolGauges(ServingMode mode, std::function<double()> in_use,
                     std::function<double()> idle);
  // The gauges of `mode`, read at each scrape from the running server.
  void AddModeGauges(ServingMode mode, std::function<double()> inflight_calls,
                     std::function<double()> threads);

  // Serves /metrics on host:port (port 0 picks one); the port
  // it listens on, or why it cannot.
  absl::StatusOr<int> Serve(const std::string& host, int port);
  // Stops serving, so no scrape reads the servers once they are gone. Takes
  // up to 2 s: civetweb's listener notices the stop only at its next poll.
  void Stop() { exposer_.reset(); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  CallFamilies call_families_;
  FailedCallLog failed_calls_;  // both modes' calls, one rate limit
  std::shared_ptr<HistogramFamily> store_seconds_;
  std::shared_ptr<HistogramFamily> pool_wait_seconds_;
  std::shared_ptr<ScrapeGauges> gauges_;
  std::shared_ptr<ProcessMetrics> process_;
  std::vector<std::unique_ptr<CallMetrics>> calls_;
  std::unique_ptr<prometheus::Exposer> exposer_;  // last: stops before what it reads
};

}  // namespace ledger::metrics
