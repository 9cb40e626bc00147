// The soak's verdict on made-up series: what passes (flat, growth the store
// explains, a lone outlier, a warm-up), what fails (a changed total, memory
// or frames that keep growing, a server that never got quiet, an
// inconsistent audit), and each failure's message.
#include "client/load/soak_rule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ledger::load {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kTotal = 1'000'000;
constexpr double kMebibyte = 1024 * 1024;

// Samples [0] (before the load) .. [count]: 100 MiB and 224 frames
// throughout, the total held, no record added.
std::vector<SoakSample> Flat(int count) {
  std::vector<SoakSample> samples;
  for (int i = 0; i <= count; ++i) {
    samples.push_back({.at = std::to_string(i) + "m",
                       .resident_bytes = 100 * kMebibyte,
                       .frames = 224,
                       .total = kTotal});
  }
  return samples;
}

SoakRule Rule() {
  return {.memory_tolerance = 0.10, .bytes_per_record = 1000, .frames_tolerance = 16};
}

TEST(SoakRule, FlatSeriesPass) {
  const SoakVerdict verdict = JudgeSoak(Flat(9), kTotal, Rule());
  EXPECT_TRUE(verdict.passed());
  EXPECT_THAT(verdict.failures, IsEmpty());
  EXPECT_THAT(verdict.findings,
              ElementsAre("total 1000000 at all 10 samples",
                          "thirds: warm-up to 3m, middle 4m to 6m, last 7m to 9m",
                          HasSubstr("+0.0 MiB on the middle third's"),
                          "frames: the last third's median 224, the middle third's 224 "
                          "(allowed +16)"));
}

// The first third is warm-up, whatever it does; with 10 samples after the
// start, 4 are warm-up, so the thirds are whole.
TEST(SoakRule, WarmUpIsNotJudged) {
  std::vector<SoakSample> samples = Flat(10);
  for (int i = 1; i <= 4; ++i) {
    samples[i].resident_bytes = i * 25 * kMebibyte;
    samples[i].frames = 100 * i;
  }
  const SoakVerdict verdict = JudgeSoak(samples, kTotal, Rule());
  EXPECT_TRUE(verdict.passed()) << verdict.failures.front();
  EXPECT_THAT(verdict.findings[1], "thirds: warm-up to 4m, middle 5m to 7m, last 8m to 10m");
}

// 3.5 MiB a sample: the last third's median (at 8m) is 10.5 MiB above the
// middle's (at 5m), within 10 % of 117.5 MiB; 4.5 MiB a sample is 13.5 MiB
// above, beyond 10 % of 122.5 MiB.
TEST(SoakRule, MemoryThatKeepsGrowingFails) {
  std::vector<SoakSample> within = Flat(9);
  std::vector<SoakSample> beyond = Flat(9);
  for (size_t i = 0; i < within.size(); ++i) {
    within[i].resident_bytes += 3.5 * i * kMebibyte;
    beyond[i].resident_bytes += 4.5 * i * kMebibyte;
  }
  EXPECT_TRUE(JudgeSoak(within, kTotal, Rule()).passed());
  EXPECT_THAT(JudgeSoak(beyond, kTotal, Rule()).failures,
              ElementsAre("memory keeps growing: memory: the last third's median +13.5 MiB on "
                          "the middle third's with 0 new records, +13.5 MiB beyond 1000 B a "
                          "record (allowed +12.2 MiB)"));
}

// The same growth, with records in the store that explain it: 4.5 MiB a
// sample is 4718 records of 1000 bytes.
TEST(SoakRule, MemoryTheStoreExplainsPasses) {
  std::vector<SoakSample> samples = Flat(9);
  for (size_t i = 0; i < samples.size(); ++i) {
    samples[i].resident_bytes += 4.5 * i * kMebibyte;
    samples[i].records = static_cast<int64_t>(i * 4.5 * kMebibyte / 1000);
  }
  const SoakVerdict verdict = JudgeSoak(samples, kTotal, Rule());
  EXPECT_TRUE(verdict.passed()) << verdict.failures.front();
  EXPECT_THAT(verdict.findings[2],
              HasSubstr("+13.5 MiB on the middle third's with 14156 new records (1000 B a record), "
                        "-0.0 MiB beyond 1000 B a record"));
}

// Medians: one sample far off in either third decides nothing.
TEST(SoakRule, ALoneOutlierPasses) {
  std::vector<SoakSample> samples = Flat(9);
  samples[8].resident_bytes = 400 * kMebibyte;
  samples[9].frames = 5000;
  EXPECT_TRUE(JudgeSoak(samples, kTotal, Rule()).passed());
}

TEST(SoakRule, FramesThatKeepGrowingFail) {
  std::vector<SoakSample> samples = Flat(9);
  for (size_t i = 0; i < samples.size(); ++i) samples[i].frames += 10 * i;
  const SoakVerdict verdict = JudgeSoak(samples, kTotal, Rule());
  EXPECT_THAT(verdict.failures,
              ElementsAre("coroutine frames keep growing: frames: the last third's median 304, "
                          "the middle third's 274 (allowed +16)"));
}

TEST(SoakRule, FramesWithinTheTolerancePass) {
  std::vector<SoakSample> samples = Flat(9);
  for (size_t i = 7; i < samples.size(); ++i) samples[i].frames += 16;
  EXPECT_TRUE(JudgeSoak(samples, kTotal, Rule()).passed());
}

// A total that changes fails at any sample, warm-up and start included, and
// each change is named.
TEST(SoakRule, AChangedTotalFailsWhereItHappened) {
  std::vector<SoakSample> samples = Flat(3);
  samples[0].total = kTotal + 5;
  samples[2].total = kTotal - 100;
  const SoakVerdict verdict = JudgeSoak(samples, kTotal, Rule());
  EXPECT_THAT(verdict.failures,
              ElementsAre("the total changed: 1000005 at 0m where the accounts were opened with "
                          "1000000 (+5)",
                          "the total changed: 999900 at 2m where the accounts were opened with "
                          "1000000 (-100)"));
}

TEST(SoakRule, AServerThatNeverGotQuietFails) {
  std::vector<SoakSample> samples = Flat(3);
  samples[3].inflight = 2;
  EXPECT_THAT(JudgeSoak(samples, kTotal, Rule()).failures,
              ElementsAre("the server still had 2 call(s) in flight at 3m, seconds after every "
                          "call of the soak ended"));
}

TEST(SoakRule, AnInconsistentAuditFails) {
  std::vector<SoakSample> samples = Flat(3);
  samples[1].inconsistent_audits = 1;
  samples[3].inconsistent_audits = 2;
  EXPECT_THAT(JudgeSoak(samples, kTotal, Rule()).failures,
              ElementsAre(HasSubstr("3 Audit call(s) found an account whose journal does not "
                                    "add up")));
}

// Two samples after the start make no thirds: growth is not judged, and the
// verdict says so; the total still is.
TEST(SoakRule, TooFewSamplesJudgeOnlyTheTotal) {
  std::vector<SoakSample> samples = Flat(2);
  samples[2].resident_bytes *= 10;
  const SoakVerdict verdict = JudgeSoak(samples, kTotal, Rule());
  EXPECT_TRUE(verdict.passed());
  EXPECT_THAT(verdict.findings,
              ElementsAre("total 1000000 at all 3 samples",
                          "growth not judged: 2 sample(s) after the start, and it takes 3 (a "
                          "warm-up, a middle and a last third)"));
}

}  // namespace
}  // namespace ledger::load
