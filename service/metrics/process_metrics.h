// The process_* metrics every Prometheus client library exports (CPU, memory,
// file descriptors, threads, start time), read from /proc when scraped:
// prometheus-cpp has no collector for them.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace ledger::metrics {

class ProcessMetrics final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace ledger::metrics
