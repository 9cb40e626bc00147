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
#include "service/thread_service.h"

namespace ledger {

class CoroutineModeServer {
 public:
  // Listens on `address` and serves at once; port() is 0 if it cannot listen.
  CoroutineModeServer(const std::string& address, Ledger& ledger, int threads,
                      int accepts_per_thread, int max_inflight);
  int port() const { return port_; }
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
  ThreadModeServer(const std::string& address, Ledger& ledger, int max_threads, int max_inflight);
  int port() const { return port_; }
  void Shutdown(absl::Time deadline);

 private:
  int port_ = 0;
  InflightLimit limit_;
  ThreadModeService service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace ledger
