// --compare's arithmetic on made-up rounds: medians and ranges, when a
// difference between the modes is clear, and the table's cells, each exact.
#include "client/load/compare_stats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/load/compare_report.h"
#include "client/load/options.h"

namespace ledger::load {
namespace {

using ::testing::ElementsAre;

Spread Of(std::vector<double> values) { return SpreadOf(std::move(values)); }

void ExpectSpread(const Spread& spread, double median, double min, double max, int rounds) {
  EXPECT_EQ(spread.median, median);
  EXPECT_EQ(spread.min, min);
  EXPECT_EQ(spread.max, max);
  EXPECT_EQ(spread.rounds, rounds);
}

TEST(SpreadOf, AnOddCountsMedianIsItsMiddleValueInAnyOrder) {
  ExpectSpread(Of({16911, 10511, 15000}), 15000, 10511, 16911, 3);
  ExpectSpread(Of({7, 1, 3, 9, 5}), 5, 1, 9, 5);
}

TEST(SpreadOf, AnEvenCountsMedianIsTheMeanOfItsMiddleTwo) {
  ExpectSpread(Of({4, 1, 3, 10}), 3.5, 1, 10, 4);
  ExpectSpread(Of({8613, 0}), 4306.5, 0, 8613, 2);
}

TEST(SpreadOf, OneValueIsItsOwnRangeAndNoneIsNoRound) {
  ExpectSpread(Of({42}), 42, 42, 42, 1);
  ExpectSpread(Of({}), 0, 0, 0, 0);
}

TEST(RangesOverlap, SharedValuesAndTouchingEndsOverlapApartOnesDoNot) {
  EXPECT_TRUE(RangesOverlap(Of({10, 20, 30}), Of({25, 40, 50})));
  EXPECT_TRUE(RangesOverlap(Of({10, 20, 30}), Of({30, 40, 50})));  // touching
  EXPECT_TRUE(RangesOverlap(Of({10, 20, 30}), Of({15, 16, 17})));  // inside
  EXPECT_FALSE(RangesOverlap(Of({10, 20, 30}), Of({31, 40, 50})));
  EXPECT_FALSE(RangesOverlap(Of({31, 40, 50}), Of({10, 20, 30})));
}

TEST(Judge, ClearOnlyWhereTheRangesAreApartAndThereAreThreeRounds) {
  EXPECT_EQ(Judge(Of({16000, 16911, 17200}), Of({8000, 8679, 9000})), Verdict::kCoroutineHigher);
  EXPECT_EQ(Judge(Of({38, 40, 44}), Of({70, 75, 80})), Verdict::kThreadHigher);
  // The user's rerun against the README's figure: the medians differ by a
  // lot, but one round of each overlaps the other's range.
  EXPECT_EQ(Judge(Of({10511, 12000, 16911}), Of({4092, 8679, 11000})), Verdict::kNoClearDifference);
  EXPECT_EQ(Judge(Of({16000, 17000}), Of({8000, 9000})), Verdict::kTooFewRounds);
  EXPECT_EQ(Judge(Of({16000, 16500, 17000}), Of({8000, 9000})), Verdict::kTooFewRounds);
}

TEST(DescribeDifference, TheRatioOfTheMediansOnlyWhenClear) {
  EXPECT_EQ(DescribeDifference(Of({16000, 16911, 17200}), Of({8000, 8679, 9000})), "1.95×");
  EXPECT_EQ(DescribeDifference(Of({38, 40, 44}), Of({70, 80, 90})), "0.5×");
  EXPECT_EQ(DescribeDifference(Of({10, 20, 30}), Of({30, 40, 50})), "no clear difference");
  EXPECT_EQ(DescribeDifference(Of({1, 2}), Of({100, 200})), "needs 3+ rounds");
}

TEST(DescribeDifference, AZeroMedianNamesTheHigherModeInsteadOfARatio) {
  EXPECT_EQ(DescribeDifference(Of({0, 0, 0}), Of({2000, 3000, 3613})), "thread higher");
  EXPECT_EQ(DescribeDifference(Of({5, 6, 7}), Of({0, 0, 0})), "coroutine higher");
  EXPECT_EQ(DescribeDifference(Of({0, 0, 0}), Of({0, 0, 0})), "no clear difference");
}

TEST(FormatSpread, TheMedianThenTheRangeUnlessEveryRoundAgreed) {
  auto whole = [](double value) { return absl::StrFormat("%.0f", value); };
  EXPECT_EQ(FormatSpread(Of({16911, 16000, 17200}), whole), "16911 (16000–17200)");
  EXPECT_EQ(FormatSpread(Of({4, 4, 4}), whole), "4");
  EXPECT_EQ(FormatSpread(Of({}), whole), "-");
}

// A round that served `calls` calls of 10 ms each (`errors` of them failed)
// in a 1 s window, its server at `threads` threads.
RunResult Round(int calls, int errors, double threads) {
  RunResult run;
  for (int i = 0; i < calls; ++i) {
    run.Record(0, i < errors ? grpc::StatusCode::RESOURCE_EXHAUSTED : grpc::StatusCode::OK,
               10'000'000, "Server Threadpool Exhausted");
  }
  run.completed_in_window = calls;
  run.window_seconds = 1;
  run.server.emplace();
  run.server->mode_threads = {{"coroutine", threads}, {"thread", threads}};
  run.server->resident_memory_bytes = 64 << 20;
  return run;
}

TEST(ModeFigures, EachFigureIsTheSpreadOfTheRounds) {
  const std::array<Spread, kFigures> figures =
      ModeFigures({Round(300, 0, 4), Round(100, 2, 4), Round(200, 1, 4)}, "coroutine");
  ExpectSpread(figures[kCallsPerSecond], 200, 100, 300, 3);
  ExpectSpread(figures[kErrors], 1, 0, 2, 3);
  ExpectSpread(figures[kThreads], 4, 4, 4, 3);
  ExpectSpread(figures[kResidentMemory], 64 << 20, 64 << 20, 64 << 20, 3);
  EXPECT_EQ(figures[kP50].rounds, 3);
}

TEST(ModeFigures, ARoundWithoutCallsHasNoLatencyAndOneWithoutScrapesNoThreads) {
  RunResult idle;
  idle.window_seconds = 1;
  const std::array<Spread, kFigures> figures = ModeFigures({idle, Round(10, 0, 7)}, "thread");
  ExpectSpread(figures[kCallsPerSecond], 5, 0, 10, 2);
  EXPECT_EQ(figures[kP99].rounds, 1);
  ExpectSpread(figures[kThreads], 7, 7, 7, 1);
}

// The table's rows as trimmed cells, the separator row left out.
std::vector<std::vector<std::string>> Cells(const std::string& table) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(table, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "|-")) continue;
    std::vector<std::string> cells;
    for (absl::string_view cell : absl::StrSplit(absl::StripPrefix(line, "|"), '|')) {
      cells.emplace_back(absl::StripAsciiWhitespace(cell));
    }
    cells.pop_back();  // after the last '|'
    rows.push_back(std::move(cells));
  }
  return rows;
}

TEST(CompareTable, ARowPerLevelAndFigureWithTheVerdict) {
  CompareResult result;
  LevelResult& level = result.levels.emplace_back();
  level.concurrency = 256;
  level.rounds[0] = {Round(300, 0, 4), Round(310, 0, 4), Round(320, 0, 4)};
  level.rounds[1] = {Round(100, 3, 200), Round(310, 5, 219), Round(150, 4, 210)};
  Options options;  // no --metrics: the client's figures only
  using Cells_ = std::vector<std::string>;
  EXPECT_THAT(
      Cells(CompareTable(options, result)),
      ElementsAre(Cells_{"in flight", "figure", "coroutine", "thread", "coroutine ÷ thread"},
                  Cells_{"256", "calls/s", "310 (300–320)", "150 (100–310)", "no clear difference"},
                  Cells_{"256", "p50", "10.0 ms", "10.0 ms", "no clear difference"},
                  Cells_{"256", "p99", "10.0 ms", "10.0 ms", "no clear difference"},
                  Cells_{"256", "p99.9", "10.0 ms", "10.0 ms", "no clear difference"},
                  Cells_{"256", "errors", "0", "4 (3–5)", "thread higher"}));
  options.output.metrics = "127.0.0.1:9";
  const auto rows = Cells(CompareTable(options, result));
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[6], (Cells_{"256", "threads", "4", "210 (200–219)", "0.019×"}));
  EXPECT_EQ(rows[7], (Cells_{"256", "RSS", "64.0 MiB", "64.0 MiB", "no clear difference"}));
}

}  // namespace
}  // namespace ledger::load
