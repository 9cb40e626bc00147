#include "service/serving/thread_server.h"

#include <grpcpp/resource_quota.h>
#include <grpcpp/server_builder.h>

#include <memory>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "coro/server_shutdown.h"
#include "service/metrics/grpc_answered_calls.h"
#include "service/serving/standard_services.h"

namespace ledger {

ThreadServer::ThreadServer(const std::string& address,
                           const std::shared_ptr<grpc::ServerCredentials>& credentials,
                           const ConnectionLimits& limits, Ledger& ledger,
                           const security::Authenticator& authenticator, int max_threads,
                           int max_inflight, metrics::CallMetrics& metrics)
    : limit_(max_inflight),
      handlers_(ledger, authenticator, limit_, metrics),
      reflection_({ledger::v1::Ledger::service_full_name()}) {
  grpc::ServerBuilder builder;
  AddStandardServices(builder, health_, reflection_);
  ApplyConnectionLimits(limits, builder);
  builder.AddListeningPort(address, credentials, &port_);
  builder.RegisterService(&handlers_);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> answered;
  answered.push_back(metrics::GrpcAnsweredCalls(metrics));
  builder.experimental().SetInterceptorCreators(std::move(answered));
  grpc::ResourceQuota quota("thread-mode");
  quota.SetMaxThreads(max_threads);
  builder.SetResourceQuota(quota);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) port_ = 0;
}

void ThreadServer::SetServing(bool serving) { health_.SetServing(serving); }

void ThreadServer::Shutdown(absl::Time deadline) {
  health_.Shutdown();
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
