// What `ledger` prints: one line per result on stdout, for people or, with
// --json, one JSON object per line for programs; errors on stderr.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/support/status.h>

#include <string>

#include "absl/strings/string_view.h"
#include "client/common/exit_codes.h"
#include "grpc/health/v1/health.pb.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger::cli {

class Printer {
 public:
  explicit Printer(bool json) : json_(json) {}

  // Prints `message` as proto3 JSON on one line (every field, zeros included,
  // so a reader never has to know the defaults), or `text` for people.
  void Print(const google::protobuf::Message& message, absl::string_view text) const;

 private:
  bool json_;
};

// The text of each result, one line each.
std::string DescribeAccount(const v1::Account& account);
std::string DescribeReceipt(const v1::TransferReceipt& receipt);
std::string DescribeResult(const v1::TransferResult& result);
std::string DescribeImport(const v1::ImportSummary& summary);
std::string DescribeAudit(const v1::AuditReport& report);
std::string DescribeHealth(const grpc::health::v1::HealthCheckResponse& health);

// "ledger: <message>" on stderr.
void PrintError(absl::string_view message);

// For a mistake on the command line: prints the message and where to read
// the usage; returns ExitCode::kUsage.
ExitCode ReportUsageError(absl::string_view message);

// Prints a failed call as "ledger: CODE: message" and returns its exit code.
ExitCode ReportFailure(const grpc::Status& status);

}  // namespace ledger::cli
