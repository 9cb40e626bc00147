#include "service/coroutine_service.h"

#include "coro/serve.h"
#include "service/grpc_status.h"

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

coro::Task<grpc::Status> NotYetImplemented(absl::string_view method) {
  co_return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                         std::string(method) + " is not implemented yet");
}

}  // namespace

void ServeWithCoroutines(Service& service, coro::CompletionQueueThreads& queues, Ledger& ledger,
                         int accepts_per_queue) {
  coro::Serve<&Service::RequestOpenAccount>(
      service, queues,
      [&ledger](grpc::ServerContext&, const v1::OpenAccountRequest& request,
                v1::Account& response) { return Respond(ledger.OpenAccount(request), response); },
      accepts_per_queue);
  coro::Serve<&Service::RequestGetAccount>(
      service, queues,
      [&ledger](grpc::ServerContext&, const v1::GetAccountRequest& request, v1::Account& response) {
        return Respond(ledger.GetAccount(request), response);
      },
      accepts_per_queue);
  coro::Serve<&Service::RequestTransfer>(
      service, queues,
      [&ledger](grpc::ServerContext&, const v1::TransferRequest& request,
                v1::TransferReceipt& response) {
        return Respond(ledger.Transfer(request), response);
      },
      accepts_per_queue);

  // The streaming RPCs and Audit come with the next milestone. They are
  // served (rather than left unrequested, where a call would hang until its
  // deadline) so that clients get a prompt UNIMPLEMENTED.
  coro::Serve<&Service::RequestListTransfers>(
      service, queues, [](auto&...) { return NotYetImplemented("ListTransfers"); }, 1);
  coro::Serve<&Service::RequestImportTransfers>(
      service, queues, [](auto&...) { return NotYetImplemented("ImportTransfers"); }, 1);
  coro::Serve<&Service::RequestTransferStream>(
      service, queues, [](auto&...) { return NotYetImplemented("TransferStream"); }, 1);
  coro::Serve<&Service::RequestAudit>(
      service, queues, [](auto&...) { return NotYetImplemented("Audit"); }, 1);
}

}  // namespace ledger
