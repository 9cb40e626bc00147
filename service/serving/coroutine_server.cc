#include "service/serving/coroutine_server.h"

#include <grpcpp/server_builder.h>

#include "coro/server_shutdown.h"
#include "service/serving/coroutine_handlers.h"
#include "service/serving/standard_services.h"

namespace ledger {

CoroutineServer::CoroutineServer(const std::string& address,
                                 const std::shared_ptr<grpc::ServerCredentials>& credentials,
                                 const ConnectionLimits& limits, Ledger& ledger,
                                 const security::Authenticator& authenticator, int threads,
                                 int accepts_per_thread, int max_inflight,
                                 metrics::CallMetrics& metrics)
    : limit_(max_inflight), reflection_({ledger::v1::Ledger::service_full_name()}) {
  grpc::ServerBuilder builder;
  AddStandardServices(builder, health_, reflection_);
  ApplyConnectionLimits(limits, builder);
  builder.AddListeningPort(address, credentials, &port_);
  builder.RegisterService(&service_);
  queues_ = std::make_unique<coro::CompletionQueueThreads>(builder, threads);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    port_ = 0;
    return;
  }
  StartCoroutineHandlers(service_, *queues_, ledger, authenticator, limit_, metrics,
                         accepts_per_thread);
  queues_->Start();
}

void CoroutineServer::SetServing(bool serving) { health_.SetServing(serving); }

void CoroutineServer::Shutdown(absl::Time deadline) {
  health_.Shutdown();
  if (server_) coro::ShutdownServer(*server_, *queues_, deadline);
}

}  // namespace ledger
