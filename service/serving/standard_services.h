// What every server of the process adds to its own services: gRPC health and
// server reflection, so probes and tools work on each port. Neither is
// counted in the grpc_server_* series, which count only the ledger's own
// calls.
#pragma once

#include <grpcpp/server_builder.h>

#include "service/serving/health_service.h"
#include "service/serving/reflection_service.h"

namespace ledger {

// `health` and `reflection` on the server `builder` builds; both must outlive
// that server.
void AddStandardServices(grpc::ServerBuilder& builder, HealthService& health,
                         ReflectionService& reflection);

}  // namespace ledger
