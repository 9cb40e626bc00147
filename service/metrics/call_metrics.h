// The grpc_server_* series of one serving mode, for every method of
// ledger.v1.Ledger, all created at zero at start-up so dashboards show lines
// before the first call. A gRPC server interceptor updates them, so both
// modes are measured by the same code at the same points of a call: from its
// start (the request's metadata received) to the handler's status.
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
  CallMetrics(ServingMode mode, CallFamilies& families);
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

 private:
  absl::flat_hash_map<std::string, MethodSeries> methods_;  // read-only once built
};

}  // namespace ledger::metrics
