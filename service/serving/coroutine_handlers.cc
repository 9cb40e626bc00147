#include "service/serving/coroutine_handlers.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>

#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/string_view.h"
#include "coro/serve.h"
#include "service/serving/grpc_status.h"
#include "service/serving/handler_failure.h"
#include "service/serving/streamed_requests.h"

namespace ledger {
namespace {

using Service = CoroutineService;

// The raw methods answer in bytes too. Serializing fails only for a message
// over 2 GiB, which the ledger never makes.
template <typename Message>
bool Serialize(const Message& message, grpc::ByteBuffer& buffer) {
  bool own_buffer = false;
  return grpc::SerializationTraits<Message>::Serialize(message, &buffer, &own_buffer).ok();
}

// Reads the next raw request of `stream`, counts it received in `measure`,
// and parses it into `request`; false at the end of the stream, when the
// call died, or when the message does not parse (which `requests` remembers
// for the call's status).
template <typename Stream>
auto ParsedReads(Stream& stream, StreamedRequests& requests, metrics::CallMeasure& measure) {
  return [&stream, &requests, &measure](v1::TransferRequest& request) -> coro::Task<bool> {
    grpc::ByteBuffer message;
    const bool received = co_await stream.Read(message);
    if (!received) co_return false;
    measure.Received();
    co_return requests.Parse(message, request);
  };
}

coro::Task<grpc::Status> Respond(coro::Task<absl::Status> pending) {
  co_return ToGrpcStatus(co_await std::move(pending));
}

// A unary call's Ledger result as its response (the handler's last argument)
// and status.
template <typename Response, typename Request>
grpc::Status ToResponse(absl::StatusOr<Response> result, const Request&, Response& response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  response = *std::move(result);
  return grpc::Status::OK;
}

template <typename T>
constexpr bool kIsStatusTask = std::is_same_v<T, coro::Task<grpc::Status>>;

// Wraps a handler of any kind of call, as thread mode's Admitted does: the
// call is measured in `series` from here (CallMeasure) to the status it
// ends with; the caller is authenticated, then the call gets a place in
// flight for its whole life; either may refuse it at once. The Caller and
// the measure live in this frame, which outlives the handler's; a stream
// handler counts its messages in the measure. A handler that throws ends
// its call here, as in thread mode, with the exception's word for the log
// (coro::Serve's own catch never sees it). A unary handler may hand back the
// Ledger's Task of its result, which is awaited and turned into the
// response here rather than in a coroutine of its own: every waiting call
// would hold that frame too.
template <typename Handler>
auto Admitted(const security::Authenticator& authenticator, InflightLimit& limit,
              metrics::CallMetrics& metrics, metrics::CallMetrics::MethodSeries& series,
              Handler handler) {
  return [&authenticator, &limit, &metrics, &series, handler](
             coro::CallContext& call, auto&... args) -> coro::Task<grpc::Status> {
    metrics::CallMeasure measure(metrics, series);
    grpc::Status status;
    std::string detail;  // what a handler that threw said, for the log only
    try {
      const absl::StatusOr<Caller> caller = authenticator.Authenticate(call.grpc());
      if (!caller.ok()) {
        status = ToGrpcStatus(caller.status());
      } else {
        InflightLimit::Slot slot = limit.TryEnter();
        if (!slot) {
          status = limit.Refusal();
        } else {
          auto pending = handler(call, *caller, measure, args...);
          if constexpr (kIsStatusTask<decltype(pending)>) {
            status = co_await std::move(pending);
          } else {
            auto result = co_await std::move(pending);
            status = ToResponse(std::move(result), args...);
          }
        }
      }
    } catch (...) {
      status = HandlerThrew(detail);
    }
    measure.Finish(status, call.grpc(), detail);
    co_return status;
  };
}

}  // namespace

void StartCoroutineHandlers(Service& service, coro::CompletionQueueThreads& queues, Ledger& ledger,
                            const security::Authenticator& authenticator, InflightLimit& limit,
                            metrics::CallMetrics& metrics, int accepts_per_queue) {
  // Each method's series, resolved here once; the unary handlers have no
  // messages of their own to count.
  auto admitted = [&](absl::string_view method, auto handler) {
    return Admitted(authenticator, limit, metrics, metrics.Method(method), std::move(handler));
  };
  coro::Serve<&Service::RequestOpenAccount>(
      service, queues,
      admitted("OpenAccount",
               [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure&,
                         const v1::OpenAccountRequest& request, v1::Account& /*response*/) {
                 return ledger.OpenAccount(caller, request, call.cancellation());
               }),
      accepts_per_queue);
  coro::Serve<&Service::RequestGetAccount>(
      service, queues,
      admitted("GetAccount",
               [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure&,
                         const v1::GetAccountRequest& request, v1::Account& /*response*/) {
                 return ledger.GetAccount(caller, request, call.cancellation());
               }),
      accepts_per_queue);
  coro::Serve<&Service::RequestTransfer>(
      service, queues,
      admitted("Transfer",
               [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure&,
                         const v1::TransferRequest& request, v1::TransferReceipt& /*response*/) {
                 return ledger.Transfer(caller, request, call.cancellation());
               }),
      accepts_per_queue);
  coro::Serve<&Service::RequestListTransfers>(
      service, queues,
      admitted(
          "ListTransfers",
          [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure& measure,
                    const v1::ListTransfersRequest& request,
                    coro::ServerWriter<v1::TransferReceipt>& stream) -> coro::Task<grpc::Status> {
            auto write = [&stream, &measure](const v1::TransferReceipt& receipt) {
              measure.Sent();
              return stream.Write(receipt);
            };
            co_return co_await Respond(
                ledger.ListTransfers(caller, request, write, call.cancellation()));
          }),
      accepts_per_queue);
  coro::Serve<&Service::RequestImportTransfers>(
      service, queues,
      admitted(
          "ImportTransfers",
          [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure& measure,
                    coro::ServerReader<grpc::ByteBuffer, grpc::ByteBuffer>& stream,
                    grpc::ByteBuffer& response) -> coro::Task<grpc::Status> {
            StreamedRequests requests;
            auto read = ParsedReads(stream, requests, measure);
            absl::StatusOr<v1::ImportSummary> summary =
                co_await ledger.ImportTransfers(caller, read, call.cancellation());
            const absl::Status status = requests.Outcome(summary.status());
            if (!status.ok()) co_return ToGrpcStatus(status);
            if (!Serialize(*summary, response)) {
              co_return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
            }
            co_return grpc::Status::OK;
          }),
      accepts_per_queue);
  coro::Serve<&Service::RequestTransferStream>(
      service, queues,
      admitted(
          "TransferStream",
          [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure& measure,
                    coro::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>& stream)
              -> coro::Task<grpc::Status> {
            StreamedRequests requests;
            auto read = ParsedReads(stream, requests, measure);
            auto write = [&stream, &measure](const v1::TransferResult& result) -> coro::Task<bool> {
              grpc::ByteBuffer message;
              if (!Serialize(result, message)) co_return false;
              measure.Sent();
              co_return co_await stream.Write(message);
            };
            const absl::Status status =
                co_await ledger.TransferStream(caller, read, write, call.cancellation());
            co_return ToGrpcStatus(requests.Outcome(status));
          }),
      accepts_per_queue);
  coro::Serve<&Service::RequestAudit>(
      service, queues,
      admitted("Audit",
               [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure&,
                         const v1::AuditRequest& request, v1::AuditReport& /*response*/) {
                 return ledger.Audit(caller, request, call.cancellation());
               }),
      accepts_per_queue);
}

}  // namespace ledger
