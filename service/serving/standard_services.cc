#include "service/serving/standard_services.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>

namespace ledger {

void AddStandardServices(grpc::ServerBuilder& builder, HealthService& health) {
  builder.RegisterService(&health);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
}

}  // namespace ledger
