// A first pass over argv before absl::ParseCommandLine, for two things absl
// does not give us: every bad flag (unknown, or a value its type cannot
// hold) ends with exit code 2 like an invalid value does, where absl would
// exit 1; and the set of flags given explicitly, so a flag that makes no
// sense together with another (--requests with --duration) can be refused.
#pragma once

#include <set>
#include <string>

namespace ledger::load {

struct CommandLineCheck {
  std::string error;            // empty if every argument is a known flag with a valid value
  std::set<std::string> given;  // names of the flags on the command line
};

// Uses only absl's public flag reflection. Parsing a value sets the flag,
// which is harmless: absl::ParseCommandLine sets it again from the same text.
CommandLineCheck CheckCommandLine(int argc, char** argv);

}  // namespace ledger::load
