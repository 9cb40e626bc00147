#include "service/serving/standard_services.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <memory>
#include <utility>
#include <vector>

namespace ledger {

void AddStandardServices(grpc::ServerBuilder& builder, metrics::CallMetrics& metrics,
                         HealthService& health) {
  builder.RegisterService(&health);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
  observers.push_back(metrics.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(observers));
}

}  // namespace ledger
