// The open loop's schedule: --seed decides the Poisson arrivals as it does
// the operations, and constant arrivals are exactly 1/rate apart.
#include <gtest/gtest.h>

#include <vector>

#include "client/load/load_driver.h"

namespace ledger::load {
namespace {

std::vector<double> DueTimes(Arrivals arrivals, uint64_t seed, int calls = 1000) {
  ArrivalSchedule schedule(arrivals, /*rate=*/1000, seed);
  std::vector<double> due;
  for (int i = 0; i < calls; ++i) due.push_back(schedule.Next());
  return due;
}

TEST(ArrivalSchedule, TheSeedDecidesPoissonArrivals) {
  const std::vector<double> seven = DueTimes(Arrivals::kPoisson, 7);
  EXPECT_EQ(seven, DueTimes(Arrivals::kPoisson, 7));
  EXPECT_NE(seven, DueTimes(Arrivals::kPoisson, 8));
  EXPECT_EQ(seven.front(), 0);
  // 1000 calls at 1000/s take about a second (a Poisson count's deviation
  // is ~3 %).
  EXPECT_NEAR(seven.back(), 1.0, 0.15);
}

TEST(ArrivalSchedule, ConstantArrivalsAreOneOverTheRateApartWhateverTheSeed) {
  const std::vector<double> due = DueTimes(Arrivals::kConstant, 7);
  EXPECT_EQ(due, DueTimes(Arrivals::kConstant, 8));
  for (size_t i = 0; i < due.size(); ++i) EXPECT_DOUBLE_EQ(due[i], i / 1000.0);
}

}  // namespace
}  // namespace ledger::load
