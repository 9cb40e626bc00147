#include "service/serving/coroutine_handlers.h"

#include <grpcpp/support/byte_buffer.h>

#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/string_view.h"
#include "coro/serve.h"
#include "service/serving/grpc_status.h"
#include "service/serving/handler_failure.h"
#include "service/serving/raw_messages.h"
#include "service/serving/streamed_requests.h"

namespace ledger {
namespace {

using Service = CoroutineService;
using Bytes = grpc::ByteBuffer;

// Reads the next raw request of `stream`, counts it received in `measure`,
// and parses it into `request`; false at the end of the stream, when the
// call died, or when the message does not parse (which `requests` remembers
// for the call's status).
template <typename Stream>
auto ParsedReads(Stream& stream, StreamedRequests& requests, metrics::CallMeasure& measure) {
  return [&stream, &requests, &measure](v1::TransferRequest& request) -> coro::Task<bool> {
    Bytes message;
    const bool received = co_await stream.Read(message);
    if (!received) co_return false;
    measure.Received();
    co_return requests.Parse(message, request);
  };
}

// Writes each message of a stream serialized, counting it sent in `measure`.
template <typename Stream>
auto SerializedWrites(Stream& stream, metrics::CallMeasure& measure) {
  return [&stream, &measure](const auto& message) -> coro::Task<bool> {
    Bytes bytes;
    if (!SerializeMessage(message, bytes)) co_return false;
    measure.Sent();
    co_return co_await stream.Write(bytes);
  };
}

coro::Task<grpc::Status> Respond(coro::Task<absl::Status> pending) {
  co_return ToGrpcStatus(co_await std::move(pending));
}

// A unary call's Ledger result as its response and status.
template <typename Response>
grpc::Status ToResponse(absl::StatusOr<Response> result, Bytes& response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  if (!SerializeMessage(*result, response)) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
  return grpc::Status::OK;
}

// The one request of a unary or server-streaming call, parsed from the
// bytes coro::Serve hands the handler of a raw method, which come before
// where the reply goes (the response's bytes, or the server stream).
template <typename Request>
struct OneRequest {
  Request message;

  template <typename ReplyTo>
  bool Parse(Bytes& bytes, ReplyTo&) {
    return ParseMessage(bytes, message);
  }
  grpc::Status Unparseable() const {
    return UnparseableRequest(Request::descriptor()->full_name());
  }
};

// A client stream's: none, its handler parses each message it reads.
template <>
struct OneRequest<void> {
  bool Parse(auto&...) { return true; }
  grpc::Status Unparseable() const { return grpc::Status::OK; }  // never asked
};

template <typename ReplyTo>
ReplyTo& Reply(Bytes& /*request*/, ReplyTo& reply) {
  return reply;
}

template <typename T>
constexpr bool kIsStatusTask = std::is_same_v<T, coro::Task<grpc::Status>>;

// Wraps a handler of any kind of call, as thread mode's Admitted does: the
// call is measured in `series` from here (CallMeasure) to the status it
// ends with; its request is parsed (before anything else, as gRPC's sync
// server does in thread mode), the caller is authenticated, then the call
// gets a place in flight for its whole life; each may refuse it at once.
// The request, the Caller and the measure live in this frame, which
// outlives the handler's; a stream handler counts its messages in the
// measure. A handler that throws ends its call here, as in thread mode, with
// the exception's word for the log (coro::Serve's own catch never sees it).
//
// A method with one request (unary, server-streaming) names its type as
// `Request`, and its handler gets the parsed request and where the reply
// goes; a client stream's (`Request` void) gets what coro::Serve hands it.
// A unary handler hands back the Ledger's Task of its result, which is
// awaited and serialized as the response here rather than in a coroutine of
// its own: every waiting call would hold that frame too.
template <typename Request, typename Handler>
auto Admitted(const security::Authenticator& authenticator, InflightLimit& limit,
              metrics::CallMetrics& metrics, metrics::CallMetrics::MethodSeries& series,
              Handler handler) {
  return [&authenticator, &limit, &metrics, &series, handler](
             coro::CallContext& call, auto&... args) -> coro::Task<grpc::Status> {
    metrics::CallMeasure measure(metrics, series);
    grpc::Status status;
    std::string detail;  // what a handler that threw said, for the log only
    try {
      OneRequest<Request> request;
      if (!request.Parse(args...)) {
        status = request.Unparseable();
      } else {
        const absl::StatusOr<Caller> caller = authenticator.Authenticate(call.grpc());
        if (!caller.ok()) {
          status = ToGrpcStatus(caller.status());
        } else {
          InflightLimit::Slot slot = limit.TryEnter();
          if (!slot) {
            status = limit.Refusal();
          } else if constexpr (std::is_void_v<Request>) {
            auto pending = handler(call, *caller, measure, args...);
            status = co_await std::move(pending);
          } else {
            auto pending = handler(call, *caller, measure, request.message, Reply(args...));
            if constexpr (kIsStatusTask<decltype(pending)>) {
              status = co_await std::move(pending);
            } else {
              auto result = co_await std::move(pending);
              status = ToResponse(std::move(result), Reply(args...));
            }
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

// Admitted for each method of one server.
struct Admission {
  const security::Authenticator& authenticator;
  InflightLimit& limit;
  metrics::CallMetrics& metrics;

  // The method's series is resolved here, once.
  template <typename Request = void, typename Handler>
  auto Of(absl::string_view method, Handler handler) const {
    return Admitted<Request>(authenticator, limit, metrics, metrics.Method(method),
                             std::move(handler));
  }
};

}  // namespace

void StartCoroutineHandlers(Service& service, coro::CompletionQueueThreads& queues, Ledger& ledger,
                            const security::Authenticator& authenticator, InflightLimit& limit,
                            metrics::CallMetrics& metrics, int accepts_per_queue) {
  // The unary handlers have no messages of their own to count.
  const Admission admit{authenticator, limit, metrics};
  coro::Serve<&Service::RequestOpenAccount>(
      service, queues,
      admit.Of<v1::OpenAccountRequest>(
          "OpenAccount",
          [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure&,
                    const v1::OpenAccountRequest& request, Bytes& /*response*/) {
            return ledger.OpenAccount(caller, request, call.cancellation());
          }),
      accepts_per_queue);
  coro::Serve<&Service::RequestGetAccount>(
      service, queues,
      admit.Of<v1::GetAccountRequest>(
          "GetAccount",
          [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure&,
                    const v1::GetAccountRequest& request, Bytes& /*response*/) {
            return ledger.GetAccount(caller, request, call.cancellation());
          }),
      accepts_per_queue);
  coro::Serve<&Service::RequestTransfer>(
      service, queues,
      admit.Of<v1::TransferRequest>(
          "Transfer",
          [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure&,
                    const v1::TransferRequest& request, Bytes& /*response*/) {
            return ledger.Transfer(caller, request, call.cancellation());
          }),
      accepts_per_queue);
  coro::Serve<&Service::RequestListTransfers>(
      service, queues,
      admit.Of<v1::ListTransfersRequest>(
          "ListTransfers",
          [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure& measure,
                    const v1::ListTransfersRequest& request,
                    coro::ServerWriter<Bytes>& stream) -> coro::Task<grpc::Status> {
            auto write = SerializedWrites(stream, measure);
            co_return co_await Respond(
                ledger.ListTransfers(caller, request, write, call.cancellation()));
          }),
      accepts_per_queue);
  coro::Serve<&Service::RequestImportTransfers>(
      service, queues,
      admit.Of("ImportTransfers",
               [&ledger](coro::CallContext& call, const Caller& caller,
                         metrics::CallMeasure& measure, coro::ServerReader<Bytes, Bytes>& stream,
                         Bytes& response) -> coro::Task<grpc::Status> {
                 StreamedRequests requests;
                 auto read = ParsedReads(stream, requests, measure);
                 absl::StatusOr<v1::ImportSummary> summary =
                     co_await ledger.ImportTransfers(caller, read, call.cancellation());
                 const absl::Status status = requests.Outcome(summary.status());
                 if (!status.ok()) co_return ToGrpcStatus(status);
                 co_return ToResponse(std::move(summary), response);
               }),
      accepts_per_queue);
  coro::Serve<&Service::RequestTransferStream>(
      service, queues,
      admit.Of(
          "TransferStream",
          [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure& measure,
                    coro::ServerReaderWriter<Bytes, Bytes>& stream) -> coro::Task<grpc::Status> {
            StreamedRequests requests;
            auto read = ParsedReads(stream, requests, measure);
            auto write = SerializedWrites(stream, measure);
            const absl::Status status =
                co_await ledger.TransferStream(caller, read, write, call.cancellation());
            co_return ToGrpcStatus(requests.Outcome(status));
          }),
      accepts_per_queue);
  coro::Serve<&Service::RequestAudit>(
      service, queues,
      admit.Of<v1::AuditRequest>(
          "Audit",
          [&ledger](coro::CallContext& call, const Caller& caller, metrics::CallMeasure&,
                    const v1::AuditRequest& request, Bytes& /*response*/) {
            return ledger.Audit(caller, request, call.cancellation());
          }),
      accepts_per_queue);
}

}  // namespace ledger
