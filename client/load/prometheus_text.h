// Reading Prometheus's text exposition format: the client's one parser of it,
// for the gauges ledger-load samples from the server's /metrics.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace ledger::load {

// The value of the sample `name` whose labels are exactly `labels` (e.g.
// {{"mode", "thread"}}; empty for none).
std::optional<double> FindSample(absl::string_view text, absl::string_view name,
                                 const std::map<std::string, std::string>& labels = {});

}  // namespace ledger::load
