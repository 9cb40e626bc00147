#include "client/load/prometheus_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ledger::load {
namespace {

// a="x",b="y": the server's label values hold no quotes or commas.
std::map<std::string, std::string> ParseLabels(absl::string_view text) {
  std::map<std::string, std::string> labels;
  for (absl::string_view pair : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    const size_t equals = pair.find('=');
    if (equals == absl::string_view::npos) continue;
    absl::string_view value = pair.substr(equals + 1);
    absl::ConsumePrefix(&value, "\"");
    absl::ConsumeSuffix(&value, "\"");
    labels[std::string(pair.substr(0, equals))] = std::string(value);
  }
  return labels;
}

}  // namespace

std::optional<double> FindSample(absl::string_view text, absl::string_view name,
                                 const std::map<std::string, std::string>& labels) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line[0] == '#' || !absl::ConsumePrefix(&line, name)) continue;
    std::map<std::string, std::string> line_labels;
    if (absl::ConsumePrefix(&line, "{")) {
      const size_t close = line.find('}');
      if (close == absl::string_view::npos) continue;
      line_labels = ParseLabels(line.substr(0, close));
      line = line.substr(close + 1);
    } else if (line.empty() || line[0] != ' ') {
      continue;  // a longer name that starts with `name`
    }
    if (line_labels != labels) continue;
    line = absl::StripLeadingAsciiWhitespace(line);
    double value = 0;
    // A timestamp may follow the value.
    if (absl::SimpleAtod(line.substr(0, line.find(' ')), &value)) return value;
  }
  return std::nullopt;
}

}  // namespace ledger::load
