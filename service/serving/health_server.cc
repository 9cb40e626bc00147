#include "service/serving/health_server.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/time/clock.h"
#include "service/serving/standard_services.h"

namespace ledger {

HealthServer::HealthServer(const std::string& address, const ConnectionLimits& limits) {
  grpc::ServerBuilder builder;
  AddStandardServices(builder, health_, reflection_);
  ApplyConnectionLimits(limits, builder);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) port_ = 0;
}

void HealthServer::SetServing(bool serving) { health_.SetServing(serving); }

void HealthServer::Shutdown(absl::Time deadline) {
  health_.Shutdown();
  if (server_) server_->Shutdown(absl::ToChronoTime(deadline));
}

}  // namespace ledger
