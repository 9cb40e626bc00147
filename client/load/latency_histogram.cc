#include "client/load/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ledger::load {

int LatencyHistogram::BucketIndex(int64_t nanos) {
  if (nanos < kSubBuckets) return static_cast<int>(std::max<int64_t>(nanos, 0));
  const uint64_t value = std::min(static_cast<uint64_t>(nanos), (uint64_t{1} << kTopExponent) - 1);
  // value lies in [2^exponent, 2^(exponent+1)); shifting it right by `shift`
  // leaves its top 8 bits, 128 to 255, whose low 7 bits pick the sub-bucket.
  const int exponent = std::bit_width(value) - 1;
  const int shift = exponent - kSubBucketBits;
  return static_cast<int>((shift + 1) * kSubBuckets + static_cast<int64_t>(value >> shift) -
                          kSubBuckets);
}

int64_t LatencyHistogram::BucketLow(int index) {
  if (index < kSubBuckets) return index;
  const int shift = index / kSubBuckets - 1;
  return (kSubBuckets + index % kSubBuckets) << shift;
}

int64_t LatencyHistogram::BucketWidth(int index) {
  return index < kSubBuckets ? 1 : int64_t{1} << (index / kSubBuckets - 1);
}

void LatencyHistogram::RecordNanos(int64_t nanos) {
  nanos = std::max<int64_t>(nanos, 0);
  ++counts_[BucketIndex(nanos)];
  ++count_;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
  sum_nanos_ += static_cast<double>(nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_nanos_ += other.sum_nanos_;
}

int64_t LatencyHistogram::PercentileNanos(double percent) const {
  if (count_ == 0) return 0;
  if (percent >= 100) return max_;
  // Nearest rank: the value at 1-based position ceil(p/100 * n) in sorted
  // order. The small epsilon keeps 99.9 % of 1000 at rank 999, not 1000,
  // when the product comes out a hair above an integer.
  const double exact_rank = percent / 100.0 * static_cast<double>(count_);
  const int64_t rank =
      std::clamp<int64_t>(static_cast<int64_t>(std::ceil(exact_rank - 1e-9)), 1, count_);
  int64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      // The midpoint of the bucket's integer values; never outside what was
      // actually recorded.
      const int64_t middle = BucketLow(i) + (BucketWidth(i) - 1) / 2;
      return std::clamp(middle, min_, max_);
    }
  }
  return max_;
}

std::vector<LatencyHistogram::Bucket> LatencyHistogram::NonEmptyBuckets() const {
  std::vector<Bucket> buckets;
  for (int i = 0; i < kBucketCount; ++i) {
    if (counts_[i] == 0) continue;
    int64_t high = BucketLow(i) + BucketWidth(i);
    if (i == kBucketCount - 1) high = std::max(high, max_ + 1);  // it also holds longer values
    buckets.push_back({BucketLow(i), high, counts_[i]});
  }
  return buckets;
}

}  // namespace ledger::load
