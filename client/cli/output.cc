#include "client/cli/output.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/common/json_writer.h"

namespace ledger::cli {
namespace {

// Milliseconds in UTC, as the server logs: enough for a person; --json keeps
// the nanoseconds.
std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  const absl::Time time =
      absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

}  // namespace

void Printer::Print(const google::protobuf::Message& message, absl::string_view text) const {
  if (json_) {
    std::cout << JsonWriter().Message(message).Take();
  } else {
    std::cout << text << '\n';
  }
  // A line per result as it arrives, even into a pipe: `list` and `stream`
  // may run for a while and their reader should not wait for a full buffer.
  std::cout.flush();
}

std::string DescribeAccount(const v1::Account& account) {
  // An account opened with authentication off has no owner: nothing to say.
  return absl::StrCat(account.id(), ": balance ", account.balance(), ", version ",
                      account.version(),
                      account.owner().empty() ? "" : absl::StrCat(", owner ", account.owner()));
}

std::string DescribeReceipt(const v1::TransferReceipt& receipt) {
  return absl::StrCat("#", receipt.sequence(), " ", FormatTimestamp(receipt.committed_at()), " ",
                      receipt.from_id(), " -> ", receipt.to_id(), " ", receipt.amount(),
                      " (balances after: ", receipt.from_id(), " ", receipt.from_balance(), ", ",
                      receipt.to_id(), " ", receipt.to_balance(), ") request_id ",
                      receipt.request_id());
}

std::string DescribeResult(const v1::TransferResult& result) {
  if (result.code() == 0) return absl::StrCat("ok ", DescribeReceipt(result.receipt()));
  return absl::StrCat(StatusCodeName(result.code()), " request_id ", result.request_id(), ": ",
                      result.message());
}

std::string DescribeImport(const v1::ImportSummary& summary) {
  return absl::StrCat("applied ", summary.applied(), ", rejected ", summary.rejected());
}

std::string DescribeAudit(const v1::AuditReport& report) {
  return absl::StrCat(report.account_id(), ": ", report.entries(),
                      report.entries() == 1 ? " entry" : " entries", ", balance ", report.balance(),
                      ", ", report.consistent() ? "consistent" : "INCONSISTENT", ", digest ",
                      report.digest());
}

std::string DescribeHealth(const grpc::health::v1::HealthCheckResponse& health) {
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(health.status());
}

void PrintError(absl::string_view message) {
  std::cout.flush();  // Results printed so far come before the error.
  std::cerr << "ledger: " << message << '\n';
}

ExitCode ReportUsageError(absl::string_view message) {
  PrintError(message);
  std::cerr << "Run 'ledger --help' for every command, flag and exit code.\n";
  return ExitCode::kUsage;
}

ExitCode ReportFailure(const grpc::Status& status) {
  PrintError(absl::StrCat(StatusCodeName(status.error_code()), ": ", status.error_message()));
  return ExitCodeFor(status.error_code());
}

}  // namespace ledger::cli
