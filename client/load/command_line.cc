#include "client/load/command_line.h"

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace ledger::load {
namespace {

// absl's own flags (help, flag files): left entirely to absl.
bool IsAbslBuiltin(absl::string_view name) {
  for (absl::string_view builtin :
       {"help", "helpfull", "helpshort", "helppackage", "helpon", "helpmatch", "version",
        "only_check_args", "flagfile", "fromenv", "tryfromenv", "undefok"}) {
    if (name == builtin) return true;
  }
  return false;
}

}  // namespace

CommandLineCheck CheckCommandLine(int argc, char** argv) {
  CommandLineCheck check;
  for (int i = 1; i < argc; ++i) {
    absl::string_view argument = argv[i];
    if (argument == "--") break;
    // absl accepts -flag and --flag alike.
    if (!absl::ConsumePrefix(&argument, "-") || argument.empty()) {
      check.error = absl::StrCat("unexpected argument '", argv[i],
                                 "': ledger-load takes only --flags (see --help)");
      return check;
    }
    absl::ConsumePrefix(&argument, "-");
    const size_t equals = argument.find('=');
    const absl::string_view name = argument.substr(0, equals);
    const bool has_value = equals != absl::string_view::npos;
    if (IsAbslBuiltin(name)) continue;

    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      // --nofoo for a bool flag foo.
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>() && !has_value) {
        check.given.insert(std::string(name.substr(2)));
        continue;
      }
    }
    if (flag == nullptr) {
      check.error = absl::StrCat("unknown flag --", name, " (--help lists them all)");
      return check;
    }
    check.given.insert(std::string(name));
    std::string value;
    if (has_value) {
      value = std::string(argument.substr(equals + 1));
    } else if (flag->IsOfType<bool>()) {
      continue;  // --foo alone sets a bool
    } else if (i + 1 < argc) {
      value = argv[++i];  // --foo value
    } else {
      check.error = absl::StrCat("flag --", name, " needs a value");
      return check;
    }
    std::string why;
    if (!flag->ParseFrom(value, &why)) {
      check.error = absl::StrCat("--", name, "=", value, " is not a valid ", name, ": ", why);
      return check;
    }
  }
  return check;
}

}  // namespace ledger::load
