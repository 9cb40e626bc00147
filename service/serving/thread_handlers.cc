#include "service/serving/thread_handlers.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/method_handler.h>

#include <mutex>
#include <string>
#include <utility>

#include "coro/sync_wait.h"
#include "service/metrics/grpc_answered_calls.h"
#include "service/serving/grpc_status.h"
#include "service/serving/handler_failure.h"
#include "service/serving/streamed_requests.h"

namespace ledger {
namespace {

using Watched = CancellationWatch::Watched;

template <typename Response>
grpc::Status Respond(absl::StatusOr<Response> result, Response& response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  response = *std::move(result);
  return grpc::Status::OK;
}

// Counts the calling thread in `threads` from its first call until it exits.
void CountThisThread(std::atomic<int>& threads) {
  struct Counted {
    std::atomic<int>* threads = nullptr;
    ~Counted() {
      if (threads) threads->fetch_sub(1, std::memory_order_relaxed);
    }
  };
  thread_local Counted counted;
  if (counted.threads == nullptr) {
    counted.threads = &threads;
    threads.fetch_add(1, std::memory_order_relaxed);
  }
}

// Reads the next raw request of a client stream, counts it received in
// `measure`, and parses it; false at the end of the stream, when the call
// died, or when the message does not parse (which `requests` remembers for
// the call's status). A read that fails because the call died, not because
// the client half-closed, stops the call's Cancellation at once (gRPC marks
// the context cancelled before Read returns), so the Ledger ends the call
// CANCELLED, not OK.
template <typename Stream>
auto ParsedReads(Stream* stream, const grpc::ServerContext& context, Watched& watched,
                 StreamedRequests& requests, metrics::CallMeasure& measure) {
  return [stream, &context, &watched, &requests,
          &measure](v1::TransferRequest& request) -> coro::Task<bool> {
    grpc::ByteBuffer message;
    if (stream->Read(&message)) {
      measure.Received();
      co_return requests.Parse(message, request);
    }
    if (context.IsCancelled()) watched.Cancelled();
    co_return false;
  };
}

// The generated Service's index of one of its methods: the method's place in
// the proto, as the generated code numbers them.
int MethodIndex(const std::string& name) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::Ledger::service_full_name());
  return service->FindMethodByName(name)->index();
}

}  // namespace

// gRPC's sync API has no raw variant of a generated method (the async API's
// WithRawMethod_X), so the generated handlers of the two client streams are
// replaced here by gRPC's own client-streaming and bidi handlers over
// grpc::ByteBuffer requests (responses stay typed), calling the Raw methods
// below. MarkMethodStreamed is the one protected way to set a sync method's
// handler; it also marks the method BIDI_STREAMING, which for
// ImportTransfers changes nothing the server does: gRPC reads a client
// stream's messages and a bidi stream's alike, each on the handler's Read
// (only unary and server-streaming requests are read before the handler
// runs). The metrics take each method's kind from its descriptor, and
// reflection its types.
ThreadHandlers::ThreadHandlers(Ledger& ledger, const security::Authenticator& authenticator,
                               InflightLimit& limit, metrics::CallMetrics& metrics)
    : ledger_(ledger),
      authenticator_(authenticator),
      limit_(limit),
      metrics_(metrics),
      open_account_(metrics.Method("OpenAccount")),
      get_account_(metrics.Method("GetAccount")),
      transfer_(metrics.Method("Transfer")),
      list_transfers_(metrics.Method("ListTransfers")),
      import_transfers_(metrics.Method("ImportTransfers")),
      transfer_stream_(metrics.Method("TransferStream")),
      audit_(metrics.Method("Audit")) {
  MarkMethodStreamed(MethodIndex("ImportTransfers"),
                     new grpc::internal::ClientStreamingHandler<ThreadHandlers, grpc::ByteBuffer,
                                                                v1::ImportSummary>(
                         &ThreadHandlers::ImportRawTransfers, this));
  MarkMethodStreamed(MethodIndex("TransferStream"),
                     new grpc::internal::BidiStreamingHandler<ThreadHandlers, grpc::ByteBuffer,
                                                              v1::TransferResult>(
                         &ThreadHandlers::RawTransferStream, this));
}

// The same steps as coroutine mode's Admitted, in the same order.
template <typename Call>
grpc::Status ThreadHandlers::Admitted(grpc::ServerContext& context,
                                      metrics::CallMetrics::MethodSeries& series, Call call) {
  CountThisThread(threads_);
  metrics::CallMeasure measure(metrics_, series);
  grpc::Status status;
  std::string detail;  // what a handler that threw said, for the log only
  try {
    const absl::StatusOr<Caller> caller = authenticator_.Authenticate(context);
    if (!caller.ok()) {
      status = ToGrpcStatus(caller.status());
    } else {
      InflightLimit::Slot slot = limit_.TryEnter();
      if (!slot) {
        status = limit_.Refusal();
      } else {
        Watched watched(watch_, context);
        status = call(*caller, watched, measure);
      }
    }
  } catch (...) {
    status = HandlerThrew(detail);
  }
  measure.Finish(status, context, detail);
  metrics::MarkMeasured(context);
  return status;
}

grpc::Status ThreadHandlers::OpenAccount(grpc::ServerContext* context,
                                         const v1::OpenAccountRequest* request,
                                         v1::Account* response) {
  return Admitted(
      *context, open_account_, [&](const Caller& caller, Watched& watched, metrics::CallMeasure&) {
        return Respond(
            coro::SyncWait(ledger_.OpenAccount(caller, *request, watched.cancellation())),
            *response);
      });
}

grpc::Status ThreadHandlers::GetAccount(grpc::ServerContext* context,
                                        const v1::GetAccountRequest* request,
                                        v1::Account* response) {
  return Admitted(
      *context, get_account_, [&](const Caller& caller, Watched& watched, metrics::CallMeasure&) {
        return Respond(coro::SyncWait(ledger_.GetAccount(caller, *request, watched.cancellation())),
                       *response);
      });
}

grpc::Status ThreadHandlers::Transfer(grpc::ServerContext* context,
                                      const v1::TransferRequest* request,
                                      v1::TransferReceipt* response) {
  return Admitted(
      *context, transfer_, [&](const Caller& caller, Watched& watched, metrics::CallMeasure&) {
        return Respond(coro::SyncWait(ledger_.Transfer(caller, *request, watched.cancellation())),
                       *response);
      });
}

grpc::Status ThreadHandlers::ListTransfers(grpc::ServerContext* context,
                                           const v1::ListTransfersRequest* request,
                                           grpc::ServerWriter<v1::TransferReceipt>* writer) {
  return Admitted(
      *context, list_transfers_,
      [&](const Caller& caller, Watched& watched, metrics::CallMeasure& measure) {
        auto write = [writer, &measure](const v1::TransferReceipt& receipt) -> coro::Task<bool> {
          measure.Sent();
          co_return writer->Write(receipt);
        };
        return ToGrpcStatus(
            coro::SyncWait(ledger_.ListTransfers(caller, *request, write, watched.cancellation())));
      });
}

grpc::Status ThreadHandlers::ImportRawTransfers(grpc::ServerContext* context,
                                                grpc::ServerReader<grpc::ByteBuffer>* reader,
                                                v1::ImportSummary* response) {
  return Admitted(*context, import_transfers_,
                  [&](const Caller& caller, Watched& watched, metrics::CallMeasure& measure) {
                    StreamedRequests requests;
                    auto read = ParsedReads(reader, *context, watched, requests, measure);
                    absl::StatusOr<v1::ImportSummary> summary = coro::SyncWait(
                        ledger_.ImportTransfers(caller, read, watched.cancellation()));
                    const absl::Status status = requests.Outcome(summary.status());
                    if (!status.ok()) return ToGrpcStatus(status);
                    *response = *std::move(summary);
                    return grpc::Status::OK;
                  });
}

grpc::Status ThreadHandlers::RawTransferStream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::TransferResult, grpc::ByteBuffer>* stream) {
  return Admitted(*context, transfer_stream_,
                  [&](const Caller& caller, Watched& watched, metrics::CallMeasure& measure) {
                    StreamedRequests requests;
                    auto read = ParsedReads(stream, *context, watched, requests, measure);
                    // Results may be written by several transfers; the sync stream takes one
                    // write at a time.
                    std::mutex write_mutex;
                    auto write = [stream, &write_mutex,
                                  &measure](const v1::TransferResult& result) -> coro::Task<bool> {
                      std::lock_guard lock(write_mutex);
                      measure.Sent();
                      co_return stream->Write(result);
                    };
                    return ToGrpcStatus(requests.Outcome(coro::SyncWait(
                        ledger_.TransferStream(caller, read, write, watched.cancellation()))));
                  });
}

grpc::Status ThreadHandlers::Audit(grpc::ServerContext* context, const v1::AuditRequest* request,
                                   v1::AuditReport* response) {
  return Admitted(
      *context, audit_, [&](const Caller& caller, Watched& watched, metrics::CallMeasure&) {
        return Respond(coro::SyncWait(ledger_.Audit(caller, *request, watched.cancellation())),
                       *response);
      });
}

}  // namespace ledger
