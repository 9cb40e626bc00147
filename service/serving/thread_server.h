// ThreadServer: thread mode's gRPC server on its own port. gRPC's synchronous
// API runs every call on an OS thread of its own (thread_handlers.h).
#pragma once

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "service/ledger/ledger.h"
#include "service/metrics/call_metrics.h"
#include "service/serving/connection_limits.h"
#include "service/serving/health_service.h"
#include "service/serving/inflight_limit.h"
#include "service/serving/reflection_service.h"
#include "service/serving/thread_handlers.h"

namespace ledger {

class ThreadServer {
 public:
  // At most `max_threads` threads serve calls; calls beyond them are refused
  // with RESOURCE_EXHAUSTED (gRPC's ResourceQuota), and so are calls beyond
  // `max_inflight`. Credentials, limits, authenticator and metrics as for
  // CoroutineServer.
  ThreadServer(const std::string& address,
               const std::shared_ptr<grpc::ServerCredentials>& credentials,
               const ConnectionLimits& limits, Ledger& ledger,
               const security::Authenticator& authenticator, int max_threads, int max_inflight,
               metrics::CallMetrics& metrics);
  int port() const { return port_; }
  int inflight() const { return limit_.inflight(); }
  // The threads gRPC runs calls on now (idle ones included, until they exit).
  int threads() const { return handlers_.threads(); }
  // What health (grpc.health.v1) answers from now on; calls are served
  // either way.
  void SetServing(bool serving);
  void Shutdown(absl::Time deadline);

 private:
  int port_ = 0;
  InflightLimit limit_;
  ThreadHandlers handlers_;
  HealthService health_;
  ReflectionService reflection_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace ledger
