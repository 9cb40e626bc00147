#include "service/serving/standard_services.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <memory>
#include <utility>
#include <vector>

namespace ledger {

void AddStandardServices(grpc::ServerBuilder& builder, metrics::CallMetrics& metrics) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
  observers.push_back(metrics.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(observers));
}

void SetServing(grpc::Server* server, bool serving) {
  if (server && server->GetHealthCheckService()) {
    server->GetHealthCheckService()->SetServingStatus(serving);
  }
}

}  // namespace ledger
