// LatencyHistogram: call latencies in log-spaced buckets with a bounded
// relative error, the idea behind HdrHistogram. Recording is an index
// computation and an increment, so a client thread can record every call;
// histograms of the same layout add up, so runs split into slices (--compare
// alternates modes in rounds) or threads merge exactly.
//
// Layout: values are nanoseconds. Below 128 ns every value has its own bucket.
// Above, each power of two [2^e, 2^(e+1)) is cut into 128 equal buckets of
// width 2^(e-7). A value is reported as the midpoint of its bucket, which is
// off by at most half a width: 2^(e-8) / 2^e = 1/256 ≈ 0.39 % of the value,
// well inside the 1 % we promise. The buckets reach 2^42 ns (about 73
// minutes); a longer value is counted in the last bucket, and max() stays
// exact because it is kept apart.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace ledger::load {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;  // per power of two
  static constexpr int kTopExponent = 42;                               // 2^42 ns ≈ 73 min
  static constexpr int kBucketCount = (kTopExponent - kSubBucketBits + 1) * kSubBuckets;
  // The largest relative error of a reported value: half a bucket.
  static constexpr double kMaxRelativeError = 1.0 / (2 * kSubBuckets);

  LatencyHistogram() : counts_(kBucketCount, 0) {}

  // Negative values (a clock that went backwards) count as 0.
  void RecordNanos(int64_t nanos);
  // Adds every value recorded in `other`.
  void Merge(const LatencyHistogram& other);

  int64_t count() const { return count_; }
  // 0 when empty.
  int64_t min_nanos() const { return count_ == 0 ? 0 : min_; }
  int64_t max_nanos() const { return max_; }
  double mean_nanos() const { return count_ == 0 ? 0 : sum_nanos_ / count_; }

  // The nearest-rank percentile (the smallest recorded value with at least
  // `percent` % of values at or below it), within kMaxRelativeError; 100 gives
  // the exact maximum. 0 when empty.
  int64_t PercentileNanos(double percent) const;

  struct Bucket {
    int64_t low_nanos;   // inclusive
    int64_t high_nanos;  // exclusive
    int64_t count;
  };
  // The buckets holding at least one value, lowest first: for the JSON report
  // and for anyone who wants a quantile we did not precompute.
  std::vector<Bucket> NonEmptyBuckets() const;

  // The layout, exposed for tests.
  static int BucketIndex(int64_t nanos);
  static int64_t BucketLow(int index);
  static int64_t BucketWidth(int index);

 private:
  std::vector<int64_t> counts_;  // on the heap: 36 KiB is too much for a frame
  int64_t count_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
  double sum_nanos_ = 0;
};

}  // namespace ledger::load
