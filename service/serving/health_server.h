// HealthServer: a plaintext port that serves grpc.health.v1, with the same
// SERVING or NOT_SERVING as the ledger ports, and nothing of the ledger (its
// reflection lists only health).
// It is for probes that cannot speak TLS, such as kubelet's native gRPC
// probes, when the ledger ports require it; it tells a caller nothing but
// that status.
#pragma once

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "service/serving/connection_limits.h"
#include "service/serving/health_service.h"
#include "service/serving/reflection_service.h"

namespace ledger {

class HealthServer {
 public:
  // Listens on `address` and serves at once, each peer bounded by `limits`;
  // port() is 0 if it cannot listen.
  HealthServer(const std::string& address, const ConnectionLimits& limits);
  int port() const { return port_; }
  void SetServing(bool serving);
  void Shutdown(absl::Time deadline);

 private:
  int port_ = 0;
  HealthService health_;
  ReflectionService reflection_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace ledger
