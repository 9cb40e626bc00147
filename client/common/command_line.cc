#include "client/common/command_line.h"

#include <algorithm>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ledger {
namespace {

bool IsOwn(const absl::CommandLineFlag& flag, FlagsFiles flags_files) {
  return std::any_of(flags_files.begin(), flags_files.end(), [&](absl::string_view file) {
    return absl::StrContains(flag.Filename(), file);
  });
}

absl::CommandLineFlag* FindOwnFlag(absl::string_view name, FlagsFiles flags_files) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr || !IsOwn(*flag, flags_files)) return nullptr;
  return flag;
}

// Wraps `text` to lines of at most `width` characters, each starting with
// `indent`; the help strings are written as one paragraph each.
std::string Wrap(absl::string_view text, absl::string_view indent, size_t width) {
  std::string wrapped;
  std::string line;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
      absl::StrAppend(&wrapped, indent, line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty()) absl::StrAppend(&wrapped, indent, line, "\n");
  return wrapped;
}

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(int argc, const char* const* argv,
                                             FlagsFiles flags_files) {
  CommandLine command_line;
  for (int i = 1; i < argc; ++i) {
    absl::string_view argument = argv[i];
    if (argument == "--") {
      for (++i; i < argc; ++i) command_line.positional.emplace_back(argv[i]);
      break;
    }
    // No flag name starts with a digit, so "-5" is a (negative) number for the
    // command to judge, not a misspelt flag.
    if (argument == "-" || !absl::StartsWith(argument, "-") || absl::ascii_isdigit(argument[1])) {
      command_line.positional.emplace_back(argument);
      continue;
    }
    absl::string_view body = argument;
    if (!absl::ConsumePrefix(&body, "--")) absl::ConsumePrefix(&body, "-");
    const size_t equals = body.find('=');
    const absl::string_view name = body.substr(0, equals);
    const bool has_value = equals != absl::string_view::npos;
    absl::string_view value = has_value ? body.substr(equals + 1) : "";

    if (name == "help" || name == "helpshort" || name == "h") {
      command_line.help = true;
      continue;
    }
    absl::CommandLineFlag* flag = FindOwnFlag(name, flags_files);
    bool negated = false;
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      flag = FindOwnFlag(name.substr(2), flags_files);
      negated = flag != nullptr;
      if (negated && (!flag->IsOfType<bool>() || has_value)) flag = nullptr;
    }
    if (flag == nullptr) {
      // Named as typed, without its value: a mistyped --token=... must not
      // print the token.
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag ", argument.substr(0, argument.find('='))));
    }
    if (flag->IsOfType<bool>()) {
      if (!has_value) value = negated ? "false" : "true";
    } else if (!has_value) {
      if (i + 1 == argc) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = argv[++i];
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag->Name(), "=", value, ": ", error));
    }
    command_line.flags_given.insert(std::string(flag->Name()));
  }
  return command_line;
}

std::string FlagsHelp(FlagsFiles flags_files) {
  std::vector<absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (IsOwn(*flag, flags_files)) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string help;
  for (const absl::CommandLineFlag* flag : flags) {
    const std::string default_value = flag->DefaultValue();
    absl::StrAppend(&help, "  --", flag->Name(),
                    default_value.empty() ? "" : absl::StrCat(" (default: ", default_value, ")"),
                    "\n", Wrap(flag->Help(), "      ", 80));
  }
  return help;
}

}  // namespace ledger
