// What both servers add to the ledger: gRPC health and server reflection,
// so probes and tools work on each port, and the metrics interceptor.
#pragma once

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "service/metrics/call_metrics.h"
#include "service/serving/health_service.h"

namespace ledger {

// `health` and reflection on the server `builder` builds; its calls counted
// in `metrics`. `health` must outlive that server.
void AddStandardServices(grpc::ServerBuilder& builder, metrics::CallMetrics& metrics,
                         HealthService& health);

}  // namespace ledger
