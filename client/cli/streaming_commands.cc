// The commands whose call streams: list (from the server), import (to it) and
// stream (both ways).
#include <cstddef>
#include <optional>
#include <thread>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/transfer_input.h"

namespace ledger::cli {
namespace {

// The transfers of the input named by the arguments, or nullopt once the
// reason is printed. A bad input is the user's to fix: exit code kUsage.
std::optional<std::vector<v1::TransferRequest>> ReadInput(const CommandContext& context,
                                                          const Arguments& arguments) {
  absl::StatusOr<std::vector<v1::TransferRequest>> requests =
      ReadTransfers(arguments.empty() ? "-" : arguments[0], context.format);
  if (!requests.ok()) {
    PrintError(requests.status().message());
    return std::nullopt;
  }
  return std::move(*requests);
}

// What the stream's results add up to, for its exit code and summary.
class StreamOutcome {
 public:
  explicit StreamOutcome(const std::vector<v1::TransferRequest>& requests) {
    for (size_t i = 0; i < requests.size(); ++i) position_.emplace(requests[i].request_id(), i);
  }

  void Add(const v1::TransferResult& result) {
    ++results_;
    if (result.code() == 0) return;
    ++failed_;
    // Results arrive in completion order; the exit code follows the first
    // failure in input order, so the same outcomes always give the same code.
    auto found = position_.find(result.request_id());
    const size_t position = found == position_.end() ? position_.size() : found->second;
    if (!first_failure_ || position < first_failure_position_) {
      first_failure_ = result;
      first_failure_position_ = position;
    }
  }

  size_t results() const { return results_; }
  size_t failed() const { return failed_; }
  const std::optional<v1::TransferResult>& first_failure() const { return first_failure_; }

 private:
  std::unordered_map<std::string, size_t> position_;  // request_id -> input line order
  size_t results_ = 0;
  size_t failed_ = 0;
  std::optional<v1::TransferResult> first_failure_;
  size_t first_failure_position_ = 0;
};

}  // namespace

ExitCode ListCommand(const CommandContext& context, const Arguments& arguments) {
  v1::ListTransfersRequest request;
  request.set_account_id(arguments[0]);
  request.set_limit(context.limit);
  grpc::ClientContext call;
  context.Prepare(call);
  std::unique_ptr<grpc::ClientReaderInterface<v1::TransferReceipt>> receipts =
      context.ledger.ListTransfers(&call, request);
  v1::TransferReceipt receipt;
  while (receipts->Read(&receipt)) context.printer.Print(receipt, DescribeReceipt(receipt));
  if (grpc::Status status = receipts->Finish(); !status.ok()) return ReportFailure(status);
  return ExitCode::kSuccess;
}

ExitCode ImportCommand(const CommandContext& context, const Arguments& arguments) {
  std::optional<std::vector<v1::TransferRequest>> requests = ReadInput(context, arguments);
  if (!requests) return ExitCode::kUsage;
  grpc::ClientContext call;
  context.Prepare(call);
  v1::ImportSummary summary;
  std::unique_ptr<grpc::ClientWriterInterface<v1::TransferRequest>> writer =
      context.ledger.ImportTransfers(&call, &summary);
  for (const v1::TransferRequest& request : *requests) {
    if (!writer->Write(request)) break;  // The call is over; Finish says why.
  }
  writer->WritesDone();
  if (grpc::Status status = writer->Finish(); !status.ok()) return ReportFailure(status);
  context.printer.Print(summary, DescribeImport(summary));
  // The call succeeded even if transfers were refused; say so, since
  // ImportSummary cannot say which.
  if (summary.rejected() > 0) {
    PrintError(absl::StrCat(summary.rejected(), " of ", requests->size(),
                            " transfers were rejected; `ledger stream` reports each one"));
  }
  return ExitCode::kSuccess;
}

ExitCode StreamCommand(const CommandContext& context, const Arguments& arguments) {
  std::optional<std::vector<v1::TransferRequest>> requests = ReadInput(context, arguments);
  if (!requests) return ExitCode::kUsage;
  grpc::ClientContext call;
  context.Prepare(call);
  std::unique_ptr<grpc::ClientReaderWriterInterface<v1::TransferRequest, v1::TransferResult>>
      stream = context.ledger.TransferStream(&call);
  // Writing and reading at once: the server answers while requests still
  // arrive, and a client that wrote everything before reading could stall
  // both sides on flow control with a large input.
  std::thread writer([&] {
    for (const v1::TransferRequest& request : *requests) {
      if (!stream->Write(request)) return;  // The call is over; Finish says why.
    }
    stream->WritesDone();
  });
  StreamOutcome outcome(*requests);
  v1::TransferResult result;
  while (stream->Read(&result)) {
    context.printer.Print(result, DescribeResult(result));
    outcome.Add(result);
  }
  writer.join();
  const std::string counts = absl::StrCat(requests->size(), " transfers, ", outcome.results(),
                                          " results, ", outcome.failed(), " failed");
  if (grpc::Status status = stream->Finish(); !status.ok()) {
    const ExitCode exit_code = ReportFailure(status);
    PrintError(absl::StrCat("stream: ", counts));
    return exit_code;
  }
  if (const std::optional<v1::TransferResult>& failure = outcome.first_failure()) {
    PrintError(absl::StrCat("stream: ", counts, "; first failure: ", DescribeResult(*failure)));
    return ExitCodeFor(failure->code());
  }
  if (outcome.results() != requests->size()) {
    PrintError(absl::StrCat("stream: ", counts, "; the server must answer every transfer"));
    return ExitCode::kFailure;
  }
  return ExitCode::kSuccess;
}

}  // namespace ledger::cli
