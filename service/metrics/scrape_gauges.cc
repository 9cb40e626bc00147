#include "service/metrics/scrape_gauges.h"

#include <algorithm>

namespace ledger::metrics {

void ScrapeGauges::Add(const std::string& name, const std::string& help,
                       const prometheus::Labels& labels, std::function<double()> read) {
  Gauge& gauge = gauges_.emplace_back(Gauge{name, help, {}, std::move(read)});
  for (const auto& [label, value] : labels) gauge.labels.push_back({label, value});
}

std::vector<prometheus::MetricFamily> ScrapeGauges::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  for (const Gauge& gauge : gauges_) {
    auto family = std::find_if(families.begin(), families.end(),
                               [&](const auto& family) { return family.name == gauge.name; });
    if (family == families.end()) {
      family = families.insert(families.end(),
                               {gauge.name, gauge.help, prometheus::MetricType::Gauge, {}});
    }
    prometheus::ClientMetric& metric = family->metric.emplace_back();
    metric.label = gauge.labels;
    metric.gauge.value = gauge.read();
  }
  return families;
}

}  // namespace ledger::metrics
