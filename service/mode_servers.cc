#include "service/mode_servers.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/time/clock.h"
#include "coro/server_shutdown.h"
#include "service/coroutine_service.h"

namespace ledger {
namespace {

// Health and reflection on every server, so probes and tools work per port;
// the ledger's calls counted in `metrics`.
void AddStandardServices(grpc::ServerBuilder& builder, metrics::CallMetrics& metrics) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
  observers.push_back(metrics.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(observers));
}

void SetNotServing(grpc::Server* server) {
  if (server && server->GetHealthCheckService()) {
    server->GetHealthCheckService()->SetServingStatus(false);
  }
}

}  // namespace

CoroutineModeServer::CoroutineModeServer(const std::string& address, Ledger& ledger, int threads,
                                         int accepts_per_thread, int max_inflight,
                                         metrics::CallMetrics& metrics)
    : limit_(max_inflight) {
  grpc::ServerBuilder builder;
  AddStandardServices(builder, metrics);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&service_);
  queues_ = std::make_unique<coro::CompletionQueueThreads>(builder, threads);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    port_ = 0;
    return;
  }
  ServeWithCoroutines(service_, *queues_, ledger, limit_, accepts_per_thread);
  queues_->Start();
}

void CoroutineModeServer::MarkNotServing() { SetNotServing(server_.get()); }

void ThreadModeServer::MarkNotServing() { SetNotServing(server_.get()); }

void CoroutineModeServer::Shutdown(absl::Time deadline) {
  if (server_) coro::ShutdownServer(*server_, *queues_, deadline);
}

ThreadModeServer::ThreadModeServer(const std::string& address, Ledger& ledger, int max_threads,
                                   int max_inflight, metrics::CallMetrics& metrics)
    : limit_(max_inflight), service_(ledger, limit_) {
  grpc::ServerBuilder builder;
  AddStandardServices(builder, metrics);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&service_);
  grpc::ResourceQuota quota("thread-mode");
  quota.SetMaxThreads(max_threads);
  builder.SetResourceQuota(quota);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) port_ = 0;
}

void ThreadModeServer::Shutdown(absl::Time deadline) {
  if (!server_) return;
  // A call gRPC matched just before Shutdown reaches its handler (and the
  // in-flight count) within microseconds; seeing none in flight twice, 50 ms
  // apart, leaves it that time and more.
  coro::ShutdownServer(*server_, deadline, [this](absl::Time deadline) {
    for (int idle_checks = 0; absl::Now() < deadline;) {
      idle_checks = limit_.inflight() == 0 ? idle_checks + 1 : 0;
      if (idle_checks == 2) return true;
      absl::SleepFor(absl::Milliseconds(idle_checks == 1 ? 50 : 5));
    }
    return false;
  });
}

}  // namespace ledger
