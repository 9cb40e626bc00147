// The subcommands of `ledger`, one per RPC plus `health`, and the table that
// main.cc dispatches on and --help lists.
#pragma once

#include <grpcpp/client_context.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/cli/output.h"
#include "client/common/exit_codes.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "ledger/v1/ledger.grpc.pb.h"

namespace ledger::cli {

// What every command runs with: the server's stubs, the flags that shape a
// call, and where results go.
struct CommandContext {
  v1::Ledger::StubInterface& ledger;
  grpc::health::v1::Health::StubInterface& health;
  absl::Duration deadline;  // of each call, a stream's whole life included
  Printer printer;
  std::string request_id;  // transfer: "" generates one
  uint32_t limit = 0;      // list: 0 for all
  std::string format;      // import, stream: "" detects it

  // Starts a call's context: every call carries the deadline.
  void Prepare(grpc::ClientContext& call) const {
    call.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
};

using Arguments = std::vector<std::string>;

struct Command {
  absl::string_view name;
  absl::string_view synopsis;  // what follows the name in a usage line
  absl::string_view summary;   // for --help; lines after the first are indented
  size_t min_arguments;
  size_t max_arguments;
  absl::string_view flag;  // the command's own flag beyond the common ones; empty for none
  ExitCode (*run)(const CommandContext& context, const Arguments& arguments);
};

std::span<const Command> AllCommands();
// nullptr for a name that is no command.
const Command* FindCommand(absl::string_view name);

// The commands, in commands.cc (unary calls) and streaming_commands.cc.
ExitCode OpenCommand(const CommandContext& context, const Arguments& arguments);
ExitCode GetCommand(const CommandContext& context, const Arguments& arguments);
ExitCode TransferCommand(const CommandContext& context, const Arguments& arguments);
ExitCode AuditCommand(const CommandContext& context, const Arguments& arguments);
ExitCode HealthCommand(const CommandContext& context, const Arguments& arguments);
ExitCode ListCommand(const CommandContext& context, const Arguments& arguments);
ExitCode ImportCommand(const CommandContext& context, const Arguments& arguments);
ExitCode StreamCommand(const CommandContext& context, const Arguments& arguments);

}  // namespace ledger::cli
