#include "service/serving/coroutine_handlers.h"

#include "coro/serve.h"
#include "service/serving/grpc_status.h"

namespace ledger {
namespace {

using Service = v1::Ledger::AsyncService;

// Awaits a Ledger result and turns it into the call's response and status.
template <typename Response>
coro::Task<grpc::Status> Respond(coro::Task<absl::StatusOr<Response>> pending, Response& response) {
  absl::StatusOr<Response> result = co_await std::move(pending);
  if (!result.ok()) co_return ToGrpcStatus(result.status());
  response = *std::move(result);
  co_return grpc::Status::OK;
}

coro::Task<grpc::Status> Respond(coro::Task<absl::Status> pending) {
  co_return ToGrpcStatus(co_await std::move(pending));
}

// Wraps a handler of any kind of call: a call gets a place in flight for its
// whole life, or is refused at once.
template <typename Handler>
auto Limited(InflightLimit& limit, Handler handler) {
  return [&limit, handler](coro::CallContext& call, auto&... args) -> coro::Task<grpc::Status> {
    InflightLimit::Slot slot = limit.TryEnter();
    if (!slot) co_return limit.Refusal();
    co_return co_await handler(call, args...);
  };
}

}  // namespace

void StartCoroutineHandlers(Service& service, coro::CompletionQueueThreads& queues, Ledger& ledger,
                            InflightLimit& limit, int accepts_per_queue) {
  coro::Serve<&Service::RequestOpenAccount>(
      service, queues,
      Limited(limit,
              [&ledger](coro::CallContext& call, const v1::OpenAccountRequest& request,
                        v1::Account& response) {
                return Respond(ledger.OpenAccount(request, call.cancellation()), response);
              }),
      accepts_per_queue);
  coro::Serve<&Service::RequestGetAccount>(
      service, queues,
      Limited(limit,
              [&ledger](coro::CallContext& call, const v1::GetAccountRequest& request,
                        v1::Account& response) {
                return Respond(ledger.GetAccount(request, call.cancellation()), response);
              }),
      accepts_per_queue);
  coro::Serve<&Service::RequestTransfer>(
      service, queues,
      Limited(limit,
              [&ledger](coro::CallContext& call, const v1::TransferRequest& request,
                        v1::TransferReceipt& response) {
                return Respond(ledger.Transfer(request, call.cancellation()), response);
              }),
      accepts_per_queue);
  coro::Serve<&Service::RequestListTransfers>(
      service, queues,
      Limited(
          limit,
          [&ledger](coro::CallContext& call, const v1::ListTransfersRequest& request,
                    coro::ServerWriter<v1::TransferReceipt>& stream) -> coro::Task<grpc::Status> {
            auto write = [&stream](const v1::TransferReceipt& receipt) {
              return stream.Write(receipt);
            };
            co_return co_await Respond(ledger.ListTransfers(request, write, call.cancellation()));
          }),
      accepts_per_queue);
  coro::Serve<&Service::RequestImportTransfers>(
      service, queues,
      Limited(limit,
              [&ledger](coro::CallContext& call,
                        coro::ServerReader<v1::TransferRequest, v1::ImportSummary>& stream,
                        v1::ImportSummary& response) -> coro::Task<grpc::Status> {
                auto read = [&stream](v1::TransferRequest& request) -> coro::Task<bool> {
                  co_return co_await stream.Read(request);
                };
                co_return co_await Respond(ledger.ImportTransfers(read, call.cancellation()),
                                           response);
              }),
      accepts_per_queue);
  coro::Serve<&Service::RequestTransferStream>(
      service, queues,
      Limited(limit,
              [&ledger](coro::CallContext& call,
                        coro::ServerReaderWriter<v1::TransferResult, v1::TransferRequest>& stream)
                  -> coro::Task<grpc::Status> {
                auto read = [&stream](v1::TransferRequest& request) -> coro::Task<bool> {
                  co_return co_await stream.Read(request);
                };
                auto write = [&stream](const v1::TransferResult& result) {
                  return stream.Write(result);
                };
                co_return co_await Respond(ledger.TransferStream(read, write, call.cancellation()));
              }),
      accepts_per_queue);
  coro::Serve<&Service::RequestAudit>(
      service, queues,
      Limited(limit,
              [&ledger](coro::CallContext& call, const v1::AuditRequest& request,
                        v1::AuditReport& response) {
                return Respond(ledger.Audit(request, call.cancellation()), response);
              }),
      accepts_per_queue);
}

}  // namespace ledger
