#include "client/load/prometheus_text.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace ledger::load {
namespace {

// mode="thread": the server's label values hold nothing to escape.
void SeriesLabel(std::string* out, const std::pair<const std::string, std::string>& label) {
  absl::StrAppend(out, label.first, "=\"", label.second, "\"");
}

}  // namespace

std::optional<double> FindSample(absl::string_view text, absl::string_view name,
                                 const std::map<std::string, std::string>& labels) {
  // The series as the server writes it: prometheus-cpp keeps labels in a
  // std::map, so they come sorted by name, as they are here; then a space.
  const std::string series =
      labels.empty() ? absl::StrCat(name, " ")
                     : absl::StrCat(name, "{", absl::StrJoin(labels, ",", SeriesLabel), "} ");
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, series)) continue;
    double value = 0;
    // A timestamp may follow the value.
    if (absl::SimpleAtod(line.substr(0, line.find(' ')), &value)) return value;
  }
  return std::nullopt;
}

}  // namespace ledger::load
