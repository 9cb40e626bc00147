#include "client/load/compare_stats.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace ledger::load {

Spread SpreadOf(std::vector<double> values) {
  Spread spread;
  spread.rounds = static_cast<int>(values.size());
  if (values.empty()) return spread;
  std::sort(values.begin(), values.end());
  const size_t middle = values.size() / 2;
  spread.median =
      values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
  spread.min = values.front();
  spread.max = values.back();
  return spread;
}

bool RangesOverlap(const Spread& a, const Spread& b) { return a.min <= b.max && b.min <= a.max; }

Verdict Judge(const Spread& coroutine, const Spread& thread) {
  if (coroutine.rounds < kRoundsForVerdict || thread.rounds < kRoundsForVerdict) {
    return Verdict::kTooFewRounds;
  }
  if (RangesOverlap(coroutine, thread)) return Verdict::kNoClearDifference;
  return coroutine.min > thread.max ? Verdict::kCoroutineHigher : Verdict::kThreadHigher;
}

std::string DescribeDifference(const Spread& coroutine, const Spread& thread) {
  const Verdict verdict = Judge(coroutine, thread);
  switch (verdict) {
    case Verdict::kTooFewRounds:
      return absl::StrFormat("needs %d+ rounds", kRoundsForVerdict);
    case Verdict::kNoClearDifference:
      return "no clear difference";
    case Verdict::kCoroutineHigher:
    case Verdict::kThreadHigher:
      break;
  }
  if (coroutine.median > 0 && thread.median > 0) {
    return absl::StrFormat("%.3g×", coroutine.median / thread.median);
  }
  return verdict == Verdict::kCoroutineHigher ? "coroutine higher" : "thread higher";
}

}  // namespace ledger::load
