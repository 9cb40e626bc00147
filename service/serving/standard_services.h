// What both servers add to the ledger: gRPC health and server reflection,
// so probes and tools work on each port. Neither is counted in the
// grpc_server_* series, which count only the ledger's own calls.
#pragma once

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "service/serving/health_service.h"

namespace ledger {

// `health` and reflection on the server `builder` builds. `health` must
// outlive that server.
void AddStandardServices(grpc::ServerBuilder& builder, HealthService& health);

}  // namespace ledger
