// A latency histogram that many threads observe at once without a lock, and
// the family that exports a set of them.
//
// prometheus-cpp's Histogram locks a mutex on every Observe, so all
// completion-queue threads serving one method would queue on it. Here each
// thread adds to its own stripe (its own cache lines) with relaxed atomic
// increments, and a scrape sums the stripes.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/labels.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "contract/metric_names.h"

namespace ledger::metrics {

class StripedHistogram {
 public:
  void Observe(std::chrono::nanoseconds elapsed);
  prometheus::ClientMetric::Histogram Snapshot() const;

 private:
  static constexpr int kStripes = 16;
  struct alignas(64) Stripe {
    std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> counts{};  // last: +Inf
    std::atomic<uint64_t> sum_nanos{0};
  };
  std::array<Stripe, kStripes> stripes_;
};

// One histogram metric family with kLatencyBuckets. Series are added at
// start-up, before the family is first collected; after that only observed.
class HistogramFamily final : public prometheus::Collectable {
 public:
  HistogramFamily(std::string name, std::string help)
      : name_(std::move(name)), help_(std::move(help)) {}

  StripedHistogram& Add(const prometheus::Labels& labels);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Series {
    std::vector<prometheus::ClientMetric::Label> labels;
    std::unique_ptr<StripedHistogram> histogram;
  };
  const std::string name_;
  const std::string help_;
  std::vector<Series> series_;
};

}  // namespace ledger::metrics
