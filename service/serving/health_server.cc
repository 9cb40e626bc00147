#include "service/serving/health_server.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/time/clock.h"
#include "service/serving/standard_services.h"

namespace ledger {

HealthServer::HealthServer(const std::string& address, const ConnectionLimits& limits) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  ApplyConnectionLimits(limits, builder);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) port_ = 0;
}

void HealthServer::SetServing(bool serving) { ledger::SetServing(server_.get(), serving); }

void HealthServer::Shutdown(absl::Time deadline) {
  if (server_) server_->Shutdown(absl::ToChronoTime(deadline));
}

}  // namespace ledger
