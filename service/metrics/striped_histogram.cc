#include "service/metrics/striped_histogram.h"

#include <algorithm>
#include <limits>

namespace ledger::metrics {
namespace {

// Threads take stripes in turn; up to 16 threads never share one.
int StripeOfThisThread(int stripes) {
  static std::atomic<int> next{0};
  thread_local const int stripe = next.fetch_add(1, std::memory_order_relaxed);
  return stripe % stripes;
}

}  // namespace

void StripedHistogram::Observe(std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  // Prometheus buckets are "less than or equal": the first bound >= seconds.
  const auto bucket = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds) -
                      kLatencyBuckets.begin();
  Stripe& stripe = stripes_[StripeOfThisThread(kStripes)];
  stripe.counts[bucket].fetch_add(1, std::memory_order_relaxed);
  stripe.sum_nanos.fetch_add(static_cast<uint64_t>(std::max<int64_t>(elapsed.count(), 0)),
                             std::memory_order_relaxed);
}

prometheus::ClientMetric::Histogram StripedHistogram::Snapshot() const {
  std::array<uint64_t, kLatencyBuckets.size() + 1> counts{};
  uint64_t sum_nanos = 0;
  for (const Stripe& stripe : stripes_) {
    for (size_t i = 0; i < counts.size(); ++i) {
      counts[i] += stripe.counts[i].load(std::memory_order_relaxed);
    }
    sum_nanos += stripe.sum_nanos.load(std::memory_order_relaxed);
  }
  prometheus::ClientMetric::Histogram histogram;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    histogram.bucket.push_back({cumulative, i < kLatencyBuckets.size()
                                                ? kLatencyBuckets[i]
                                                : std::numeric_limits<double>::infinity()});
  }
  // The count is the +Inf bucket's, so a scrape is never self-contradictory.
  histogram.sample_count = cumulative;
  histogram.sample_sum = static_cast<double>(sum_nanos) * 1e-9;
  return histogram;
}

StripedHistogram& HistogramFamily::Add(const prometheus::Labels& labels) {
  Series& series = series_.emplace_back();
  for (const auto& [name, value] : labels) series.labels.push_back({name, value});
  series.histogram = std::make_unique<StripedHistogram>();
  return *series.histogram;
}

std::vector<prometheus::MetricFamily> HistogramFamily::Collect() const {
  prometheus::MetricFamily family{name_, help_, prometheus::MetricType::Histogram, {}};
  for (const Series& series : series_) {
    prometheus::ClientMetric& metric = family.metric.emplace_back();
    metric.label = series.labels;
    metric.histogram = series.histogram->Snapshot();
  }
  return {std::move(family)};
}

}  // namespace ledger::metrics
