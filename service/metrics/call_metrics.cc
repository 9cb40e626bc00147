#include "service/metrics/call_metrics.h"

#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/v1/ledger.grpc.pb.h"

namespace ledger::metrics {
namespace {

using Hook = grpc::experimental::InterceptionHookPoints;

const char* CallType(const google::protobuf::MethodDescriptor& method) {
  if (method.client_streaming()) return method.server_streaming() ? "bidi_stream" : "client_stream";
  return method.server_streaming() ? "server_stream" : "unary";
}

// One per call; gRPC creates it when the call starts and deletes it when the
// call is done. Hooks of one call may run on different threads but never at
// once for the fields they share (start_ is written before any other hook).
class CallObserver final : public grpc::experimental::Interceptor {
 public:
  CallObserver(CallMetrics& metrics, CallMetrics::MethodSeries& series,
               grpc::experimental::ServerRpcInfo& info)
      : metrics_(metrics), series_(series), info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_INITIAL_METADATA)) {
      start_ = std::chrono::steady_clock::now();
      series_.started->Increment();
    }
    // A read that found the end of the stream has no message.
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() != nullptr) {
      series_.msg_received->Increment();
    }
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_MESSAGE)) {
      series_.msg_sent->Increment();
    }
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const auto code = static_cast<size_t>(status.error_code());
      // Codes past 16 are not gRPC's; count them as Unknown, as Go does.
      series_.handled[code < series_.handled.size() ? code : size_t{grpc::StatusCode::UNKNOWN}]
          ->Increment();
      const auto took = std::chrono::steady_clock::now() - start_;
      series_.handling_seconds->Observe(took);
      // Only a failed call carries a detail (HandlerThrew answers INTERNAL), so
      // a call that succeeded never searches its trailing metadata.
      if (IsServerFailure(status.error_code())) {
        const std::string detail = TakeFailureDetail(*methods->GetSendTrailingMetadata());
        metrics_.failed_calls().Write({.mode = ModeName(metrics_.mode()),
                                       .method = info_.method(),
                                       .code = status.error_code(),
                                       .message = status.error_message(),
                                       .detail = detail,
                                       .peer = info_.server_context()->peer(),
                                       .duration = absl::FromChrono(took)});
      }
    }
    methods->Proceed();
  }

 private:
  // What the handler left for the log, taken out of what the client gets.
  static std::string TakeFailureDetail(std::multimap<std::string, std::string>& trailing) {
    std::string detail;
    auto found = trailing.find(kFailureDetailKey);
    if (found == trailing.end()) return detail;
    detail = std::move(found->second);
    trailing.erase(kFailureDetailKey);
    return detail;
  }

  CallMetrics& metrics_;
  CallMetrics::MethodSeries& series_;
  grpc::experimental::ServerRpcInfo& info_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

class CallObserverFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallObserverFactory(CallMetrics& metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    CallMetrics::MethodSeries* series = metrics_.Find(info->method());
    return series ? new CallObserver(metrics_, *series, *info) : nullptr;
  }

 private:
  CallMetrics& metrics_;
};

}  // namespace

CallFamilies::CallFamilies(prometheus::Registry& registry)
    : started(prometheus::BuildCounter()
                  .Name(kStartedTotal)
                  .Help("Total number of RPCs started on the server.")
                  .Register(registry)),
      handled(prometheus::BuildCounter()
                  .Name(kHandledTotal)
                  .Help("Total number of RPCs completed on the server, regardless of success or "
                        "failure.")
                  .Register(registry)),
      msg_received(prometheus::BuildCounter()
                       .Name(kMsgReceivedTotal)
                       .Help("Total number of RPC stream messages received on the server.")
                       .Register(registry)),
      msg_sent(prometheus::BuildCounter()
                   .Name(kMsgSentTotal)
                   .Help("Total number of gRPC stream messages sent by the server.")
                   .Register(registry)),
      handling_seconds(std::make_shared<HistogramFamily>(
          kHandlingSeconds,
          "Histogram of response latency (seconds) of gRPC that had been application-level "
          "handled by the server.")) {}

CallMetrics::CallMetrics(ServingMode mode, CallFamilies& families, FailedCallLog& failed_calls)
    : mode_(mode), failed_calls_(failed_calls) {
  const google::protobuf::ServiceDescriptor& service =
      *google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::Ledger::service_full_name());
  for (int i = 0; i < service.method_count(); ++i) {
    const google::protobuf::MethodDescriptor& method = *service.method(i);
    const prometheus::Labels labels = {{"grpc_type", CallType(method)},
                                       {"grpc_service", service.full_name()},
                                       {"grpc_method", method.name()},
                                       {"mode", ModeName(mode)}};
    MethodSeries& series = methods_[absl::StrCat("/", service.full_name(), "/", method.name())];
    series.started = &families.started.Add(labels);
    series.msg_received = &families.msg_received.Add(labels);
    series.msg_sent = &families.msg_sent.Add(labels);
    for (size_t code = 0; code < kGoCodeNames.size(); ++code) {
      prometheus::Labels with_code = labels;
      with_code.emplace("grpc_code", kGoCodeNames[code]);
      series.handled[code] = &families.handled.Add(with_code);
    }
    series.handling_seconds = &families.handling_seconds->Add(labels);
  }
}

CallMetrics::MethodSeries* CallMetrics::Find(const char* path) {
  auto found = methods_.find(path);
  return found == methods_.end() ? nullptr : &found->second;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CallMetrics::InterceptorFactory() {
  return std::make_unique<CallObserverFactory>(*this);
}

}  // namespace ledger::metrics
