// The command table, and the commands that make one unary call.
#include "client/cli/commands.h"

#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/request_id.h"

namespace ledger::cli {
namespace {

// Amounts and balances are integers in minor units; "12.50" is refused here
// rather than sent as 12.
bool ParseMinorUnits(absl::string_view name, absl::string_view text, int64_t& value) {
  if (absl::SimpleAtoi(text, &value)) return true;
  ReportUsageError(
      absl::StrCat(name, " \"", text, "\" is not a whole number of minor units (cents)"));
  return false;
}

constexpr Command kCommands[] = {
    {.name = "open",
     .synopsis = "ID [BALANCE]",
     .summary = "open account ID with BALANCE (default 0)",
     .min_arguments = 1,
     .max_arguments = 2,
     .flag = "",
     .run = OpenCommand},
    {.name = "get",
     .synopsis = "ID",
     .summary = "show an account's balance and version",
     .min_arguments = 1,
     .max_arguments = 1,
     .flag = "",
     .run = GetCommand},
    {.name = "transfer",
     .synopsis = "FROM TO AMOUNT [--request_id=ID]",
     .summary = "move AMOUNT from FROM to TO and print the receipt. Its request_id\n"
                "(a new random UUID unless given) is printed, so a retry with\n"
                "--request_id=ID moves the money at most once",
     .min_arguments = 3,
     .max_arguments = 3,
     .flag = "request_id",
     .run = TransferCommand},
    {.name = "list",
     .synopsis = "ACCOUNT [--limit=N]",
     .summary = "the transfers ACCOUNT paid or received, oldest first",
     .min_arguments = 1,
     .max_arguments = 1,
     .flag = "limit",
     .run = ListCommand},
    {.name = "import",
     .synopsis = "[FILE|-] [--format=csv|jsonl]",
     .summary = "send the transfers of FILE in one ImportTransfers call; prints how\n"
                "many were applied and rejected (not which: see stream)",
     .min_arguments = 0,
     .max_arguments = 1,
     .flag = "format",
     .run = ImportCommand},
    {.name = "stream",
     .synopsis = "[FILE|-] [--format=csv|jsonl]",
     .summary = "send the transfers of FILE over TransferStream; prints a result per\n"
                "transfer as each completes. Exits 0 if all succeeded, else with the\n"
                "exit code of the first failed one in input order",
     .min_arguments = 0,
     .max_arguments = 1,
     .flag = "format",
     .run = StreamCommand},
    {.name = "audit",
     .synopsis = "ACCOUNT",
     .summary = "hash-chain audit of ACCOUNT's journal; exits 1 if it is inconsistent",
     .min_arguments = 1,
     .max_arguments = 1,
     .flag = "",
     .run = AuditCommand},
    {.name = "health",
     .synopsis = "",
     .summary = "the server's health (grpc.health.v1 Check); exits 5 unless SERVING",
     .min_arguments = 0,
     .max_arguments = 0,
     .flag = "",
     .run = HealthCommand},
};

}  // namespace

std::span<const Command> AllCommands() { return kCommands; }

const Command* FindCommand(absl::string_view name) {
  for (const Command& command : AllCommands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

ExitCode OpenCommand(const CommandContext& context, const Arguments& arguments) {
  v1::OpenAccountRequest request;
  request.set_id(arguments[0]);
  int64_t balance = 0;
  if (arguments.size() > 1 && !ParseMinorUnits("BALANCE", arguments[1], balance)) {
    return ExitCode::kUsage;
  }
  request.set_initial_balance(balance);
  grpc::ClientContext call;
  context.Prepare(call);
  v1::Account account;
  if (grpc::Status status = context.ledger.OpenAccount(&call, request, &account); !status.ok()) {
    return ReportFailure(status);
  }
  context.printer.Print(account, absl::StrCat("opened ", DescribeAccount(account)));
  return ExitCode::kSuccess;
}

ExitCode GetCommand(const CommandContext& context, const Arguments& arguments) {
  v1::GetAccountRequest request;
  request.set_id(arguments[0]);
  grpc::ClientContext call;
  context.Prepare(call);
  v1::Account account;
  if (grpc::Status status = context.ledger.GetAccount(&call, request, &account); !status.ok()) {
    return ReportFailure(status);
  }
  context.printer.Print(account, DescribeAccount(account));
  return ExitCode::kSuccess;
}

ExitCode TransferCommand(const CommandContext& context, const Arguments& arguments) {
  v1::TransferRequest request;
  request.set_request_id(context.request_id.empty() ? NewRequestId() : context.request_id);
  request.set_from_id(arguments[0]);
  request.set_to_id(arguments[1]);
  int64_t amount = 0;
  if (!ParseMinorUnits("AMOUNT", arguments[2], amount)) return ExitCode::kUsage;
  request.set_amount(amount);
  grpc::ClientContext call;
  context.Prepare(call);
  v1::TransferReceipt receipt;
  if (grpc::Status status = context.ledger.Transfer(&call, request, &receipt); !status.ok()) {
    const ExitCode exit_code = ReportFailure(status);
    // After a timeout or a lost connection the transfer may have committed;
    // only a retry under the same request_id is safe.
    if (exit_code == ExitCode::kUnavailable || exit_code == ExitCode::kFailure) {
      PrintError(
          absl::StrCat("the transfer may or may not have happened; retry it with "
                       "--request_id=",
                       request.request_id(), " to move the money at most once"));
    }
    return exit_code;
  }
  context.printer.Print(receipt, DescribeReceipt(receipt));
  return ExitCode::kSuccess;
}

ExitCode AuditCommand(const CommandContext& context, const Arguments& arguments) {
  v1::AuditRequest request;
  request.set_account_id(arguments[0]);
  grpc::ClientContext call;
  context.Prepare(call);
  v1::AuditReport report;
  if (grpc::Status status = context.ledger.Audit(&call, request, &report); !status.ok()) {
    return ReportFailure(status);
  }
  context.printer.Print(report, DescribeAudit(report));
  if (!report.consistent()) {
    PrintError(absl::StrCat("account ", report.account_id(),
                            " is inconsistent: its balance is not its initial balance plus "
                            "credits minus debits"));
    return ExitCode::kFailure;
  }
  return ExitCode::kSuccess;
}

ExitCode HealthCommand(const CommandContext& context, const Arguments&) {
  grpc::health::v1::HealthCheckRequest request;  // "" asks about the whole server
  grpc::ClientContext call;
  context.Prepare(call);
  grpc::health::v1::HealthCheckResponse health;
  if (grpc::Status status = context.health.Check(&call, request, &health); !status.ok()) {
    return ReportFailure(status);
  }
  context.printer.Print(health, DescribeHealth(health));
  if (health.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    // A server that is up but not serving (draining, say) is one to retry later.
    PrintError(absl::StrCat("the server is ", DescribeHealth(health)));
    return ExitCode::kUnavailable;
  }
  return ExitCode::kSuccess;
}

}  // namespace ledger::cli
