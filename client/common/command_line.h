// The command line of both clients: absl flags anywhere among the arguments,
// parsed here rather than by absl::ParseCommandLine because that one exits 1
// on a bad flag and on --help, where our contract is 2 (usage) and 0.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ledger {

struct CommandLine {
  std::vector<std::string> positional;  // `ledger`'s command and its arguments
  std::set<std::string> flags_given;    // names of the flags set, to check they apply
  bool help = false;                    // --help, -h or --helpshort

  bool Given(absl::string_view flag) const { return flags_given.count(std::string(flag)) > 0; }
};

// The files whose flags a program offers, each a part of a path: its own
// ("client/cli/main.cc", or a folder "client/load/") and the shared ones it
// uses (client/common/connection_flags.h). Library flags stay out of reach.
using FlagsFiles = absl::Span<const absl::string_view>;

// Sets the flags defined in a file whose path contains one of `flags_files`
// from argv, in absl's syntax: --name=value, --name value, --bool, --nobool,
// and "--" ending the flags. "-" alone (standard input) and "-5" are
// positional arguments. An unknown flag or a value that does not parse is an
// InvalidArgument saying which.
absl::StatusOr<CommandLine> ParseCommandLine(int argc, const char* const* argv,
                                             FlagsFiles flags_files);

// Every flag of `flags_files`, sorted by name, with its default and its help
// text wrapped, for --help.
std::string FlagsHelp(FlagsFiles flags_files);

}  // namespace ledger
