#include "client/load/operation_call.h"

#include <grpcpp/client_context.h>

#include <variant>

#include "absl/time/clock.h"
#include "coro/client_streams.h"
#include "coro/client_unary.h"

namespace ledger::load {
namespace {

using Stub = v1::Ledger::Stub;

// One overload per kind of operation; each returns the call's status code.
coro::Task<grpc::StatusCode> Call(Stub& stub, grpc::ClientContext& context, const GetAccount& get) {
  v1::Account account;
  const grpc::Status status =
      co_await coro::CallUnary(&Stub::PrepareAsyncGetAccount, stub, context, get.request, account);
  co_return status.error_code();
}

coro::Task<grpc::StatusCode> Call(Stub& stub, grpc::ClientContext& context,
                                  const Transfer& transfer) {
  v1::TransferReceipt receipt;
  const grpc::Status status = co_await coro::CallUnary(&Stub::PrepareAsyncTransfer, stub, context,
                                                       transfer.request, receipt);
  co_return status.error_code();
}

coro::Task<grpc::StatusCode> Call(Stub& stub, grpc::ClientContext& context,
                                  const ListTransfers& list) {
  auto stream =
      coro::ServerStreamingCall(&Stub::PrepareAsyncListTransfers, stub, context, list.request);
  if (co_await stream.Start()) {
    v1::TransferReceipt receipt;
    while (co_await stream.Read(receipt)) {
    }
  }
  const grpc::Status status = co_await stream.Finish();
  co_return status.error_code();
}

// Writes every request, then reads every result: with a few requests per
// stream, all fit in flow-control windows, and the server works on them
// concurrently anyway.
coro::Task<grpc::StatusCode> Call(Stub& stub, grpc::ClientContext& context,
                                  const TransferStream& transfers) {
  auto stream = coro::BidiStreamingCall(&Stub::PrepareAsyncTransferStream, stub, context);
  grpc::StatusCode first_refusal = grpc::StatusCode::OK;
  if (co_await stream.Start()) {
    bool writing = true;
    for (const v1::TransferRequest& request : transfers.requests) {
      if (!(writing = co_await stream.Write(request))) break;
    }
    // After a failed write the stream is broken: reads end at once and
    // Finish says why.
    if (writing) co_await stream.WritesDone();
    v1::TransferResult result;
    while (co_await stream.Read(result)) {
      if (result.code() != 0 && first_refusal == grpc::StatusCode::OK) {
        first_refusal = static_cast<grpc::StatusCode>(result.code());
      }
    }
  }
  const grpc::Status status = co_await stream.Finish();
  co_return status.ok() ? first_refusal : status.error_code();
}

coro::Task<grpc::StatusCode> Call(Stub& stub, grpc::ClientContext& context,
                                  const OpenAccount& open) {
  v1::Account account;
  const grpc::Status status = co_await coro::CallUnary(&Stub::PrepareAsyncOpenAccount, stub,
                                                       context, open.request, account);
  co_return status.error_code();
}

// The summary counts what the rules refused but not why; FAILED_PRECONDITION
// (the payer's funds) is the reason the load can meet.
coro::Task<grpc::StatusCode> Call(Stub& stub, grpc::ClientContext& context,
                                  const ImportTransfers& import) {
  v1::ImportSummary summary;
  auto stream =
      coro::ClientStreamingCall(&Stub::PrepareAsyncImportTransfers, stub, context, summary);
  if (co_await stream.Start()) {
    bool writing = true;
    for (const v1::TransferRequest& request : import.requests) {
      if (!(writing = co_await stream.Write(request))) break;
    }
    if (writing) co_await stream.WritesDone();
  }
  const grpc::Status status = co_await stream.Finish();
  if (!status.ok()) co_return status.error_code();
  co_return summary.rejected() > 0 ? grpc::StatusCode::FAILED_PRECONDITION : grpc::StatusCode::OK;
}

// An account whose journal does not add up to its balance is the one outcome
// that says money went astray: DATA_LOSS, which nothing else returns.
coro::Task<grpc::StatusCode> Call(Stub& stub, grpc::ClientContext& context, const Audit& audit) {
  v1::AuditReport report;
  const grpc::Status status =
      co_await coro::CallUnary(&Stub::PrepareAsyncAudit, stub, context, audit.request, report);
  if (!status.ok()) co_return status.error_code();
  co_return report.consistent() ? grpc::StatusCode::OK : grpc::StatusCode::DATA_LOSS;
}

}  // namespace

coro::Task<grpc::StatusCode> CallOperation(Stub& stub, const Operation& operation,
                                           absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  co_return co_await std::visit([&](const auto& kind) { return Call(stub, context, kind); },
                                operation);
}

}  // namespace ledger::load
