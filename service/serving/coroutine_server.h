// CoroutineServer: coroutine mode's gRPC server on its own port. Every call
// is a coroutine (coroutine_handlers.h) on a few completion-queue threads.
#pragma once

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "coro/completion_queue_threads.h"
#include "service/ledger/ledger.h"
#include "service/metrics/call_metrics.h"
#include "service/security/authenticator.h"
#include "service/serving/connection_limits.h"
#include "service/serving/coroutine_service.h"
#include "service/serving/health_service.h"
#include "service/serving/inflight_limit.h"
#include "service/serving/reflection_service.h"

namespace ledger {

class CoroutineServer {
 public:
  // Listens on `address` with `credentials` and serves at once; port() is 0
  // if it cannot listen. Ledger calls are made by whom `authenticator` says;
  // every call is counted in `metrics`; what one peer may cost is bounded
  // by `limits`.
  CoroutineServer(const std::string& address,
                  const std::shared_ptr<grpc::ServerCredentials>& credentials,
                  const ConnectionLimits& limits, Ledger& ledger,
                  const security::Authenticator& authenticator, int threads, int accepts_per_thread,
                  int max_inflight, metrics::CallMetrics& metrics);
  int port() const { return port_; }
  int inflight() const { return limit_.inflight(); }
  // What health (grpc.health.v1) answers from now on; calls are served
  // either way.
  void SetServing(bool serving);
  // Stops accepting, lets calls finish until `deadline`, then stops.
  void Shutdown(absl::Time deadline);

 private:
  int port_ = 0;
  InflightLimit limit_;
  CoroutineService service_;
  HealthService health_;
  ReflectionService reflection_;
  std::unique_ptr<coro::CompletionQueueThreads> queues_;
  std::unique_ptr<grpc::Server> server_;  // last: destroyed before what it uses
};

}  // namespace ledger
