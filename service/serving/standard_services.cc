#include "service/serving/standard_services.h"

namespace ledger {

void AddStandardServices(grpc::ServerBuilder& builder, HealthService& health,
                         ReflectionService& reflection) {
  builder.RegisterService(&health);
  builder.RegisterService(&reflection);
}

}  // namespace ledger
