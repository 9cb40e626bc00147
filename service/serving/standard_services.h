// What both servers add to the ledger: gRPC health and server reflection,
// so probes and tools work on each port, and the metrics interceptor.
#pragma once

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "service/metrics/call_metrics.h"

namespace ledger {

// Health and reflection on the server `builder` builds; its calls counted
// in `metrics`.
void AddStandardServices(grpc::ServerBuilder& builder, metrics::CallMetrics& metrics);

// Health (grpc.health.v1) answers SERVING or NOT_SERVING from now on.
void SetServing(grpc::Server* server, bool serving);

}  // namespace ledger
