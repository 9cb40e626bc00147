// The command line of both clients: absl flags anywhere among the arguments,
// parsed here rather than by absl::ParseCommandLine because that one exits 1
// on a bad flag and on --help, where our contract is 2 (usage) and 0.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ledger {

struct CommandLine {
  std::vector<std::string> positional;  // `ledger`'s command and its arguments
  std::set<std::string> flags_given;    // names of the flags set, to check they apply
  bool help = false;                    // --help, -h or --helpshort

  bool Given(absl::string_view flag) const { return flags_given.count(std::string(flag)) > 0; }
};

// Sets the flags defined in a file whose path contains `flags_files` (the
// program's own; library flags stay out of reach) from argv, in absl's syntax:
// --name=value, --name value, --bool, --nobool, and "--" ending the flags.
// "-" alone (standard input) and "-5" are positional arguments. An unknown flag or a
// value that does not parse is an InvalidArgument saying which.
absl::StatusOr<CommandLine> ParseCommandLine(int argc, const char* const* argv,
                                             absl::string_view flags_files);

// Every flag of `flags_files`, sorted by name, with its default and its help
// text wrapped, for --help.
std::string FlagsHelp(absl::string_view flags_files);

}  // namespace ledger
