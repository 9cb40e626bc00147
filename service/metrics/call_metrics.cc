#include "service/metrics/call_metrics.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/v1/ledger.grpc.pb.h"
#include "logging/log.h"

namespace ledger::metrics {
namespace {

const char* CallType(const google::protobuf::MethodDescriptor& method) {
  if (method.client_streaming()) return method.server_streaming() ? "bidi_stream" : "client_stream";
  return method.server_streaming() ? "server_stream" : "unary";
}

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
    const std::string path = absl::StrCat("/", service.full_name(), "/", method.name());
    MethodSeries& series = methods_[path];
    series.path = path;
    series.streams_requests = method.client_streaming();
    series.streams_responses = method.server_streaming();
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

CallMetrics::MethodSeries* CallMetrics::Find(absl::string_view path) {
  auto found = methods_.find(path);
  return found == methods_.end() ? nullptr : &found->second;
}

CallMetrics::MethodSeries& CallMetrics::Method(absl::string_view name) {
  MethodSeries* series = Find(absl::StrCat("/", v1::Ledger::service_full_name(), "/", name));
  if (series == nullptr) {
    logging::Write(logging::Level::kError,
                   absl::StrCat("no method ", name, " in ", v1::Ledger::service_full_name()));
    std::abort();
  }
  return *series;
}

CallMeasure::CallMeasure(CallMetrics& metrics, CallMetrics::MethodSeries& series,
                         std::chrono::steady_clock::time_point start)
    : metrics_(metrics), series_(series), start_(start) {
  series_.started->Increment();
  if (!series_.streams_requests) series_.msg_received->Increment();
}

void CallMeasure::Finish(const grpc::Status& status, const grpc::ServerContextBase& context,
                         absl::string_view detail) {
  const auto took = std::chrono::steady_clock::now() - start_;
  if (status.ok() && !series_.streams_responses) series_.msg_sent->Increment();
  const auto code = static_cast<size_t>(status.error_code());
  // Codes past 16 are not gRPC's; count them as Unknown, as Go does.
  series_.handled[code < series_.handled.size() ? code : size_t{grpc::StatusCode::UNKNOWN}]
      ->Increment();
  series_.handling_seconds->Observe(took);
  if (IsServerFailure(status.error_code())) {
    metrics_.failed_calls().Write({.mode = ModeName(metrics_.mode()),
                                   .method = series_.path,
                                   .code = status.error_code(),
                                   .message = status.error_message(),
                                   .detail = detail,
                                   .peer = context.peer(),
                                   .duration = absl::FromChrono(took)});
  }
}

}  // namespace ledger::metrics
