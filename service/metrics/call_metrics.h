// The grpc_server_* series of one serving mode, for every method of
// ledger.v1.Ledger, all created at zero at start-up so dashboards show lines
// before the first call. A gRPC server interceptor updates them, so both
// modes are measured by the same code at the same points of a call: from its
// start (the request's metadata received) to the handler's status. The same
// interceptor writes the call's line in the FailedCallLog when that status
// says the server failed it.
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <array>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "contract/metric_names.h"
#include "contract/serving_mode.h"
#include "service/metrics/failed_call_log.h"
#include "service/metrics/striped_histogram.h"

namespace ledger::metrics {

// The families, one per process, that every mode adds its series to.
struct CallFamilies {
  explicit CallFamilies(prometheus::Registry& registry);

  prometheus::Family<prometheus::Counter>& started;
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Counter>& msg_received;
  prometheus::Family<prometheus::Counter>& msg_sent;
  std::shared_ptr<HistogramFamily> handling_seconds;
};

class CallMetrics {
 public:
  // Calls that the server failed are written to `failed_calls`.
  CallMetrics(ServingMode mode, CallFamilies& families, FailedCallLog& failed_calls);
  CallMetrics(const CallMetrics&) = delete;
  CallMetrics& operator=(const CallMetrics&) = delete;

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators. Calls to
  // other services (health, reflection) are not measured.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  // References into the families, resolved once: a call only increments.
  struct MethodSeries {
    prometheus::Counter* started;
    prometheus::Counter* msg_received;
    prometheus::Counter* msg_sent;
    std::array<prometheus::Counter*, kGoCodeNames.size()> handled;  // by status code
    StripedHistogram* handling_seconds;
  };
  // The series of a method by its gRPC path ("/ledger.v1.Ledger/Transfer"),
  // or null for a method of another service.
  MethodSeries* Find(const char* path);

  ServingMode mode() const { return mode_; }
  FailedCallLog& failed_calls() { return failed_calls_; }

 private:
  const ServingMode mode_;
  FailedCallLog& failed_calls_;
  absl::flat_hash_map<std::string, MethodSeries> methods_;  // read-only once built
};

}  // namespace ledger::metrics
