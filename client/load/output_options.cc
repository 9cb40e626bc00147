// What a run writes besides its summary: the JSON result, and the server's
// metrics sampled meanwhile.
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "client/load/metrics_probe.h"
#include "client/load/options.h"
#include "contract/ports.h"

ABSL_FLAG(std::string, json, "", "Also write the full result (histogram included) as JSON here.");
ABSL_FLAG(std::string, metrics, "",
          "host[:port] of the server's Prometheus /metrics (port default " +
              std::to_string(ledger::kDefaultMetricsPort) +
              "): sample its calls in flight, threads per mode and resident memory every 250 "
              "ms while the load runs. Empty: do not.");

namespace ledger::load {

// Every report names the full address, the default port included.
std::string MetricsAddressFlag(const char* flag, const std::string& address, FlagErrors& errors) {
  if (address.empty()) return address;
  std::optional<MetricsAddress> parsed = ParseMetricsAddress(address);
  if (!parsed) {
    errors.push_back(absl::StrCat("--", flag, "=", address, " is not host or host:port"));
    return address;
  }
  return parsed->ToString();
}

OutputOptions ReadOutputFlags(FlagErrors& errors) {
  return {.json_path = absl::GetFlag(FLAGS_json),
          .metrics = MetricsAddressFlag("metrics", absl::GetFlag(FLAGS_metrics), errors)};
}

}  // namespace ledger::load
