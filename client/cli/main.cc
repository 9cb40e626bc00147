// ledger: the command-line client of the ledger service. Parses the command
// line, connects, and hands over to the subcommand (commands.h).
#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "client/cli/commands.h"
#include "client/cli/output.h"
#include "client/cli/transfer_input.h"
#include "client/common/channel_security.h"
#include "client/common/command_line.h"
#include "client/common/connection_flags.h"
#include "client/common/exit_codes.h"
#include "client/common/grpc_log.h"
#include "contract/ports.h"

ABSL_FLAG(std::string, target, absl::StrCat("localhost:", ledger::kDefaultPort),
          "The server, as HOST:PORT or any gRPC target (dns:///ledger.example:50051; several "
          "servers: see --load_balancing). The default is ledger-server's coroutine mode on "
          "this machine.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(10),
          "How long each call may take, e.g. 500ms, 10s, 2m. For list, import and stream it "
          "covers the whole stream, so raise it for a large import.");
ABSL_FLAG(bool, json, false,
          "Machine-readable output: one JSON object per result line, in the proto3 JSON "
          "mapping (camelCase names, 64-bit integers as strings, every field present).");
ABSL_FLAG(std::string, request_id, "",
          "transfer: the request's idempotency key. Empty generates a random UUID; pass the "
          "printed one to retry a transfer without moving the money twice.");
ABSL_FLAG(int, limit, 0, "list: at most this many transfers, oldest first; 0 lists them all.");
ABSL_FLAG(std::string, format, "",
          "import, stream: the input's format, csv or jsonl. Empty detects it from the "
          "file's extension (.csv; .jsonl or .json), else from its first character ('{' "
          "means JSON lines).");

namespace ledger::cli {
namespace {

// Flags are looked up only in this file and in the connection flags both
// clients share: --help lists ours, not the libraries'.
constexpr absl::string_view kFlagsFiles[] = {"client/cli/main.cc", kConnectionFlagsFile};

std::string CommandsHelp() {
  std::string help = "Commands:\n";
  for (const Command& command : AllCommands()) {
    absl::StrAppend(&help, "  ", command.name, command.synopsis.empty() ? "" : " ",
                    command.synopsis, "\n      ",
                    absl::StrReplaceAll(command.summary, {{"\n", "\n      "}}), "\n");
  }
  return help;
}

std::string Synopsis() {
  return "A command-line client of the ledger service (ledger.v1.Ledger over gRPC).\n"
         "Usage: ledger [--target=HOST:PORT] [--deadline=DURATION] [--json] COMMAND "
         "[ARGUMENTS]\n"
         "       [--tls_ca_file=PEM [--tls_cert_file=PEM --tls_key_file=PEM]], a bearer token "
         "in $LEDGER_TOKEN\n"
         "Amounts and balances are integers in minor units (cents).\n";
}

std::string Usage() {
  return absl::StrCat(Synopsis(), "\n", CommandsHelp(), "\n",
                      "Input of import and stream: FILE, or standard input if FILE is - or "
                      "absent.\n  CSV with the header ",
                      kCsvHeader, R"( (any column order; an
  empty request_id gets a new UUID), or JSON lines, one TransferRequest per
  line in proto3 JSON:
    {"requestId": "r-1", "fromId": "alice", "toId": "bob", "amount": "250"}
  --format names the format; else the extension does (.csv; .jsonl or .json),
  else the first character ('{' means JSON lines). The whole input is checked
  before anything is sent: a malformed line is reported as FILE:LINE, exit 2.

Security: --tls_ca_file turns TLS on, trusting that CA for the server's
certificate; --tls_cert_file and --tls_key_file add a client certificate
(mutual TLS). A bearer token goes with every call: --token, or better the
environment variable LEDGER_TOKEN (a command line is visible to others). The
token is never printed. An account's owner is whoever opened it; only its
owner or an admin may read it or pay from it, and only an admin may open an
account with money in it.

Output: a line per result on stdout (--json: a JSON object per line); a failed
call prints "ledger: CODE: message" on stderr and exits with its class below.

Examples:
  ledger open alice 10000
  ledger --target=ledger.internal:50051 transfer alice bob 2500
  ledger transfer alice bob 2500 --request_id=0b7c6a4e-2f1d-4c8e-9a3b-5d6e7f809a1b
  ledger --json list alice --limit=10
  ledger import transfers.csv
  ledger stream --format=jsonl - < transfers.jsonl
  ledger --deadline=2s health
  LEDGER_TOKEN=$(cat ~/.ledger-token) ledger --tls_ca_file=ca.pem \
      --target=ledger.example:50051 get alice

)",
                      ExitCodesHelp());
}

// Checks what absl's parser cannot: ranges, and flags given to a command they
// do not apply to (a --limit on `get` is a mistake, not something to ignore).
absl::Status CheckFlags(const CommandLine& command_line, const Command& command) {
  for (absl::string_view own : {"request_id", "limit", "format"}) {
    if (command_line.Given(own) && command.flag != own) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", own, " does not apply to ", command.name));
    }
  }
  if (absl::GetFlag(FLAGS_deadline) <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--deadline must be positive");
  }
  if (int limit = absl::GetFlag(FLAGS_limit); limit < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--limit=", limit, " must be 0 (all) or more"));
  }
  if (const std::string format = absl::GetFlag(FLAGS_format); !format.empty()) {
    if (absl::StatusOr<InputFormat> known = ParseInputFormat(format); !known.ok()) {
      return known.status();
    }
  }
  if (absl::GetFlag(FLAGS_target).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--target must name a server, e.g. localhost:", kDefaultPort));
  }
  return absl::OkStatus();
}

ExitCode Run(int argc, char** argv) {
  QuietGrpcLog();
  absl::StatusOr<CommandLine> command_line = ParseCommandLine(argc, argv, kFlagsFiles);
  if (!command_line.ok()) return ReportUsageError(command_line.status().message());
  if (command_line->help) {
    std::cout << Usage() << "\n"
              << "Flags (--name=value or --name value, before or after the command):\n"
              << FlagsHelp(kFlagsFiles);
    return ExitCode::kSuccess;
  }
  if (command_line->positional.empty()) {
    std::cerr << Synopsis() << "\n" << CommandsHelp() << "\n";
    return ReportUsageError("no command given");
  }
  const Command* command = FindCommand(command_line->positional.front());
  if (command == nullptr) {
    std::cerr << Synopsis() << "\n" << CommandsHelp() << "\n";
    return ReportUsageError(
        absl::StrCat("unknown command \"", command_line->positional.front(), "\""));
  }
  const Arguments arguments(command_line->positional.begin() + 1, command_line->positional.end());
  if (arguments.size() < command->min_arguments || arguments.size() > command->max_arguments) {
    return ReportUsageError(absl::StrCat("usage: ledger ", command->name,
                                         command->synopsis.empty() ? "" : " ", command->synopsis));
  }
  if (absl::Status valid = CheckFlags(*command_line, *command); !valid.ok()) {
    return ReportUsageError(valid.message());
  }
  absl::StatusOr<ChannelSecurity> security = ChannelSecurityFromFlags(*command_line);
  if (!security.ok()) return ReportUsageError(security.status().message());

  grpc::ChannelArguments channel_arguments;
  if (absl::Status valid = ApplyLoadBalancingFlag(channel_arguments); !valid.ok()) {
    return ReportUsageError(valid.message());
  }
  std::shared_ptr<grpc::Channel> channel =
      OpenChannel(absl::GetFlag(FLAGS_target), *security, channel_arguments);
  std::unique_ptr<v1::Ledger::Stub> ledger = v1::Ledger::NewStub(channel);
  std::unique_ptr<grpc::health::v1::Health::Stub> health =
      grpc::health::v1::Health::NewStub(channel);
  const CommandContext context{
      .ledger = *ledger,
      .health = *health,
      .deadline = absl::GetFlag(FLAGS_deadline),
      .printer = Printer(absl::GetFlag(FLAGS_json)),
      .request_id = absl::GetFlag(FLAGS_request_id),
      .limit = static_cast<uint32_t>(absl::GetFlag(FLAGS_limit)),
      .format = absl::GetFlag(FLAGS_format),
  };
  return command->run(context, arguments);
}

}  // namespace
}  // namespace ledger::cli

int main(int argc, char** argv) { return ledger::ToInt(ledger::cli::Run(argc, argv)); }
