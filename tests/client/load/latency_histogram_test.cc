// LatencyHistogram against exact percentiles: a million values from several
// distributions, sorted, and every reported percentile within 1 % (in fact
// within the layout's 0.39 %) of the exact nearest-rank value.
#include "client/load/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace ledger::load {
namespace {

constexpr int kSamples = 1'000'000;
constexpr double kPercents[] = {0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999};

// The nearest-rank percentile of sorted values: the smallest value with at
// least `percent` % of all values at or below it.
int64_t ExactPercentile(const std::vector<int64_t>& sorted, double percent) {
  const auto rank =
      static_cast<size_t>(std::ceil(percent / 100.0 * static_cast<double>(sorted.size()) - 1e-9));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

std::vector<int64_t> Draw(const std::function<double(std::mt19937_64&)>& nanos, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<int64_t> values(kSamples);
  for (int64_t& value : values) value = std::llround(nanos(random));
  return values;
}

void ExpectPercentilesWithinOnePercent(std::vector<int64_t> values) {
  LatencyHistogram histogram;
  for (int64_t value : values) histogram.RecordNanos(value);
  std::sort(values.begin(), values.end());
  ASSERT_EQ(histogram.count(), kSamples);
  EXPECT_EQ(histogram.min_nanos(), values.front());
  EXPECT_EQ(histogram.max_nanos(), values.back());
  EXPECT_EQ(histogram.PercentileNanos(100), values.back());
  for (double percent : kPercents) {
    const double exact = static_cast<double>(ExactPercentile(values, percent));
    const double reported = static_cast<double>(histogram.PercentileNanos(percent));
    const double error = std::abs(reported - exact) / exact;
    EXPECT_LE(error, 0.01) << "p" << percent << ": exact " << exact << " ns, reported " << reported
                           << " ns";
    // The promise is 1 %; the layout does better, and a regression to a
    // coarser one should show.
    EXPECT_LE(error, LatencyHistogram::kMaxRelativeError) << "p" << percent;
  }
}

TEST(LatencyHistogram, UniformFromOneMicrosecondToOneSecond) {
  ExpectPercentilesWithinOnePercent(Draw(
      [](std::mt19937_64& random) { return std::uniform_real_distribution(1e3, 1e9)(random); }, 1));
}

TEST(LatencyHistogram, LogNormalAroundOneMillisecond) {
  // Median 1 ms, a long right tail: what service latencies look like.
  ExpectPercentilesWithinOnePercent(Draw(
      [](std::mt19937_64& random) {
        return 1e6 * std::exp(std::normal_distribution(0.0, 1.0)(random));
      },
      2));
}

TEST(LatencyHistogram, BimodalFastCallsAndStalls) {
  // 95 % around 200 us, 5 % around 1.5 s: a cache hit and a stalled server.
  ExpectPercentilesWithinOnePercent(Draw(
      [](std::mt19937_64& random) {
        if (std::bernoulli_distribution(0.95)(random)) {
          return std::normal_distribution(200e3, 20e3)(random);
        }
        return std::normal_distribution(1.5e9, 0.1e9)(random);
      },
      3));
}

TEST(LatencyHistogram, MicrosecondsToMinutes) {
  // Log-uniform over eight decades: 1 us to 100 s, every bucket size in play.
  ExpectPercentilesWithinOnePercent(Draw(
      [](std::mt19937_64& random) {
        return std::pow(10.0, std::uniform_real_distribution(3.0, 11.0)(random));
      },
      4));
}

TEST(LatencyHistogram, ExactBelow128NanosecondsAndBucketsAreContiguous) {
  for (int64_t nanos = 0; nanos < 128; ++nanos) {
    EXPECT_EQ(LatencyHistogram::BucketIndex(nanos), nanos);
  }
  // Every bucket starts where the previous one ends, and every value lands
  // in the bucket that contains it.
  for (int index = 1; index < LatencyHistogram::kBucketCount; ++index) {
    ASSERT_EQ(LatencyHistogram::BucketLow(index),
              LatencyHistogram::BucketLow(index - 1) + LatencyHistogram::BucketWidth(index - 1))
        << index;
    const int64_t low = LatencyHistogram::BucketLow(index);
    const int64_t last = low + LatencyHistogram::BucketWidth(index) - 1;
    ASSERT_EQ(LatencyHistogram::BucketIndex(low), index);
    ASSERT_EQ(LatencyHistogram::BucketIndex(last), index);
    // From the reported midpoint to the farthest value of the bucket,
    // relative to its lowest value: the worst error.
    ASSERT_LE(static_cast<double>(LatencyHistogram::BucketWidth(index) - 1) / 2 / low,
              LatencyHistogram::kMaxRelativeError);
  }
}

TEST(LatencyHistogram, ValuesBeyondTheTopKeepTheirExactMaximum) {
  LatencyHistogram histogram;
  const int64_t two_hours = int64_t{2} * 3600 * 1'000'000'000;
  histogram.RecordNanos(1'000);
  histogram.RecordNanos(two_hours);
  histogram.RecordNanos(-5);  // a clock step backwards counts as 0
  EXPECT_EQ(histogram.count(), 3);
  EXPECT_EQ(histogram.min_nanos(), 0);
  EXPECT_EQ(histogram.max_nanos(), two_hours);
  EXPECT_EQ(histogram.PercentileNanos(100), two_hours);
  EXPECT_NEAR(histogram.PercentileNanos(50), 1'000, 1'000 * LatencyHistogram::kMaxRelativeError);
  const auto buckets = histogram.NonEmptyBuckets();
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_GT(buckets.back().high_nanos, two_hours);
}

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0);
  EXPECT_EQ(histogram.PercentileNanos(50), 0);
  EXPECT_EQ(histogram.PercentileNanos(100), 0);
  EXPECT_EQ(histogram.min_nanos(), 0);
  EXPECT_TRUE(histogram.NonEmptyBuckets().empty());
}

TEST(LatencyHistogram, MergedHalvesEqualTheWhole) {
  const std::vector<int64_t> values = Draw(
      [](std::mt19937_64& random) {
        return 1e6 * std::exp(std::normal_distribution(0.0, 1.5)(random));
      },
      5);
  LatencyHistogram whole;
  LatencyHistogram first;
  LatencyHistogram second;
  std::mt19937_64 coin(6);
  for (int64_t value : values) {
    whole.RecordNanos(value);
    (coin() % 2 == 0 ? first : second).RecordNanos(value);
  }
  LatencyHistogram merged;
  merged.Merge(first);
  merged.Merge(second);
  EXPECT_EQ(merged.count(), whole.count());
  EXPECT_EQ(merged.min_nanos(), whole.min_nanos());
  EXPECT_EQ(merged.max_nanos(), whole.max_nanos());
  // Sums of a million doubles in another order: equal up to rounding.
  EXPECT_NEAR(merged.mean_nanos(), whole.mean_nanos(), whole.mean_nanos() * 1e-9);
  for (double percent : kPercents) {
    EXPECT_EQ(merged.PercentileNanos(percent), whole.PercentileNanos(percent)) << percent;
  }
  const auto merged_buckets = merged.NonEmptyBuckets();
  const auto whole_buckets = whole.NonEmptyBuckets();
  ASSERT_EQ(merged_buckets.size(), whole_buckets.size());
  for (size_t i = 0; i < whole_buckets.size(); ++i) {
    EXPECT_EQ(merged_buckets[i].low_nanos, whole_buckets[i].low_nanos);
    EXPECT_EQ(merged_buckets[i].count, whole_buckets[i].count);
  }
  // Merging an empty histogram changes nothing, min included.
  merged.Merge(LatencyHistogram());
  EXPECT_EQ(merged.min_nanos(), whole.min_nanos());
  EXPECT_EQ(merged.count(), whole.count());
}

}  // namespace
}  // namespace ledger::load
