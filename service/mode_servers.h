// The two ways of serving the same Ledger, each a gRPC server on its own port
// with the standard health and reflection services: coroutines on a few
// completion-queue threads, or one OS thread per call.
#pragma once

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "coro/completion_queue_threads.h"
#include "ledger/v1/ledger.grpc.pb.h"
#include "service/inflight_limit.h"
#include "service/ledger.h"
#include "service/metrics/call_metrics.h"
#include "service/thread_service.h"

namespace ledger {

class CoroutineModeServer {
 public:
  // Listens on `address` and serves at once; port() is 0 if it cannot listen.
  // Every call is counted in `metrics`.
  CoroutineModeServer(const std::string& address, Ledger& ledger, int threads,
                      int accepts_per_thread, int max_inflight, metrics::CallMetrics& metrics);
  int port() const { return port_; }
  int inflight() const { return limit_.inflight(); }
  // Health (grpc.health.v1) answers NOT_SERVING from now on; calls are
  // still served.
  void MarkNotServing();
  // Stops accepting, lets calls finish until `deadline`, then stops.
  void Shutdown(absl::Time deadline);

 private:
  int port_ = 0;
  InflightLimit limit_;
  v1::Ledger::AsyncService service_;
  std::unique_ptr<coro::CompletionQueueThreads> queues_;
  std::unique_ptr<grpc::Server> server_;  // last: destroyed before what it uses
};

class ThreadModeServer {
 public:
  // At most `max_threads` threads serve calls; calls beyond them are refused
  // with RESOURCE_EXHAUSTED (gRPC's ResourceQuota), and so are calls beyond
  // `max_inflight`.
  ThreadModeServer(const std::string& address, Ledger& ledger, int max_threads, int max_inflight,
                   metrics::CallMetrics& metrics);
  int port() const { return port_; }
  int inflight() const { return limit_.inflight(); }
  // The threads gRPC runs calls on now (idle ones included, until they exit).
  int threads() const { return service_.threads(); }
  void MarkNotServing();
  void Shutdown(absl::Time deadline);

 private:
  int port_ = 0;
  InflightLimit limit_;
  ThreadModeService service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace ledger
