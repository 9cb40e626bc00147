// InflightLimit: places are given up to the limit and no further, and the
// count that the in-flight gauge reads never passes the limit, even while
// calls past it are being refused.
#include "service/serving/inflight_limit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace ledger {
namespace {

TEST(InflightLimit, GivesPlacesUpToTheLimitAndTakesThemBackWhenCallsEnd) {
  InflightLimit limit(2);
  {
    InflightLimit::Slot first = limit.TryEnter();
    InflightLimit::Slot second = limit.TryEnter();
    InflightLimit::Slot third = limit.TryEnter();
    EXPECT_TRUE(first);
    EXPECT_TRUE(second);
    EXPECT_FALSE(third);
    EXPECT_EQ(limit.inflight(), 2);
  }
  EXPECT_EQ(limit.inflight(), 0);
  EXPECT_TRUE(limit.TryEnter());
  EXPECT_EQ(limit.Refusal().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(limit.Refusal().error_message(),
            "the server has 2 calls in flight (--max_inflight); retry later");
}

// A full limit, calls on several threads trying to enter (and refused), and
// a reader like the gauge's: it must never see more than the limit.
TEST(InflightLimit, TheCountNeverReadsMoreThanTheLimitWhileCallsAreRefused) {
  constexpr int kMax = 4;
  InflightLimit limit(kMax);
  std::vector<InflightLimit::Slot> held;
  for (int i = 0; i < kMax; ++i) held.push_back(limit.TryEnter());
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i) {
    callers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) EXPECT_FALSE(limit.TryEnter());
    });
  }
  int most = 0;
  for (int read = 0; read < 10'000'000; ++read) most = std::max(most, limit.inflight());
  stop = true;
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(most, kMax);
}

}  // namespace
}  // namespace ledger
