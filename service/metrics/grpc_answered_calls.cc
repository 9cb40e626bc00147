#include "service/metrics/grpc_answered_calls.h"

#include <chrono>
#include <utility>

namespace ledger::metrics {
namespace {

using Hook = grpc::experimental::InterceptionHookPoints;

// The call whose handler, on this thread, measured it last, until the status
// of a call is sent here. Only compared, never followed.
thread_local const grpc::ServerContextBase* measured_here = nullptr;

class GrpcAnsweredCall final : public grpc::experimental::Interceptor {
 public:
  GrpcAnsweredCall(CallMetrics& metrics, CallMetrics::MethodSeries& series,
                   grpc::experimental::ServerRpcInfo& info)
      : metrics_(metrics), series_(series), info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS) &&
        std::exchange(measured_here, nullptr) != info_.server_context()) {
      CallMeasure measure(metrics_, series_, start_);
      measure.Finish(methods->GetSendStatus(), *info_.server_context(), "");
    }
    methods->Proceed();
  }

 private:
  CallMetrics& metrics_;
  CallMetrics::MethodSeries& series_;
  grpc::experimental::ServerRpcInfo& info_;
  // gRPC creates the interceptor as the call starts.
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

class GrpcAnsweredCallsFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit GrpcAnsweredCallsFactory(CallMetrics& metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    CallMetrics::MethodSeries* series = metrics_.Find(info->method());
    return series ? new GrpcAnsweredCall(metrics_, *series, *info) : nullptr;
  }

 private:
  CallMetrics& metrics_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> GrpcAnsweredCalls(
    CallMetrics& metrics) {
  return std::make_unique<GrpcAnsweredCallsFactory>(metrics);
}

void MarkMeasured(const grpc::ServerContextBase& context) { measured_here = &context; }

}  // namespace ledger::metrics
