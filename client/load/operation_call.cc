#include "client/load/operation_call.h"

#include <grpcpp/client_context.h>

#include <string>
#include <utility>
#include <variant>

#include "absl/time/clock.h"
#include "coro/client_streams.h"
#include "coro/client_unary.h"

namespace ledger::load {
namespace {

using Stub = v1::Ledger::Stub;

// Plain functions build outcomes: GCC 12 mishandles braced lists of
// destructible members (the message) inside coroutine bodies.
CallOutcome Refused(grpc::StatusCode code, std::string message) {
  return {code, std::move(message)};
}

CallOutcome Outcome(const grpc::Status& status) {
  if (status.ok()) return {};
  return Refused(status.error_code(), status.error_message());
}

// One overload per kind of operation; each says how the call ended.
coro::Task<CallOutcome> Call(Stub& stub, grpc::ClientContext& context, const GetAccount& get) {
  v1::Account account;
  const grpc::Status status =
      co_await coro::CallUnary(&Stub::PrepareAsyncGetAccount, stub, context, get.request, account);
  co_return Outcome(status);
}

coro::Task<CallOutcome> Call(Stub& stub, grpc::ClientContext& context, const Transfer& transfer) {
  v1::TransferReceipt receipt;
  const grpc::Status status = co_await coro::CallUnary(&Stub::PrepareAsyncTransfer, stub, context,
                                                       transfer.request, receipt);
  co_return Outcome(status);
}

coro::Task<CallOutcome> Call(Stub& stub, grpc::ClientContext& context, const ListTransfers& list) {
  auto stream =
      coro::ServerStreamingCall(&Stub::PrepareAsyncListTransfers, stub, context, list.request);
  if (co_await stream.Start()) {
    v1::TransferReceipt receipt;
    while (co_await stream.Read(receipt)) {
    }
  }
  const grpc::Status status = co_await stream.Finish();
  co_return Outcome(status);
}

// Writes every request, then reads every result: with a few requests per
// stream, all fit in flow-control windows, and the server works on them
// concurrently anyway.
coro::Task<CallOutcome> Call(Stub& stub, grpc::ClientContext& context,
                             const TransferStream& transfers) {
  auto stream = coro::BidiStreamingCall(&Stub::PrepareAsyncTransferStream, stub, context);
  CallOutcome first_refusal;
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
      if (result.code() != 0 && first_refusal.code == grpc::StatusCode::OK) {
        first_refusal = Refused(static_cast<grpc::StatusCode>(result.code()), result.message());
      }
    }
  }
  const grpc::Status status = co_await stream.Finish();
  co_return status.ok() ? first_refusal : Outcome(status);
}

coro::Task<CallOutcome> Call(Stub& stub, grpc::ClientContext& context, const OpenAccount& open) {
  v1::Account account;
  const grpc::Status status = co_await coro::CallUnary(&Stub::PrepareAsyncOpenAccount, stub,
                                                       context, open.request, account);
  co_return Outcome(status);
}

// The summary counts what the rules refused but not why; FAILED_PRECONDITION
// (the payer's funds) is the reason the load can meet.
coro::Task<CallOutcome> Call(Stub& stub, grpc::ClientContext& context,
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
  if (!status.ok()) co_return Outcome(status);
  if (summary.rejected() == 0) co_return CallOutcome();
  co_return Refused(grpc::StatusCode::FAILED_PRECONDITION,
                    "ImportTransfers' summary counts rejected transfers");
}

// An account whose journal does not add up to its balance is the one outcome
// that says money went astray: DATA_LOSS, which nothing else returns.
coro::Task<CallOutcome> Call(Stub& stub, grpc::ClientContext& context, const Audit& audit) {
  v1::AuditReport report;
  const grpc::Status status =
      co_await coro::CallUnary(&Stub::PrepareAsyncAudit, stub, context, audit.request, report);
  if (!status.ok()) co_return Outcome(status);
  if (report.consistent()) co_return CallOutcome();
  co_return Refused(grpc::StatusCode::DATA_LOSS, "Audit's report is not consistent");
}

}  // namespace

coro::Task<CallOutcome> CallOperation(Stub& stub, const Operation& operation,
                                      absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  co_return co_await std::visit([&](const auto& kind) { return Call(stub, context, kind); },
                                operation);
}

}  // namespace ledger::load
