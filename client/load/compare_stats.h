// The arithmetic of --compare's verdicts, apart from any run so that it can
// be checked exactly: each figure is the median of a mode's rounds with the
// range (min to max) they spanned, and the modes differ clearly only where
// their ranges do not overlap. A difference inside the spread of the rounds
// is what the machine did, not what the mode did.
#pragma once

#include <string>
#include <vector>

namespace ledger::load {

// The rounds a verdict needs: with fewer, the range says too little about
// the spread to call any difference clear.
inline constexpr int kRoundsForVerdict = 3;

struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
  int rounds = 0;  // how many values it summarises; 0: none
};

// The median (the mean of the middle two for an even count), min and max of
// `values`, in any order.
Spread SpreadOf(std::vector<double> values);

// Whether the ranges share a value; touching ends count as sharing.
bool RangesOverlap(const Spread& a, const Spread& b);

enum class Verdict {
  kTooFewRounds,       // either side has fewer than kRoundsForVerdict rounds
  kNoClearDifference,  // the ranges overlap
  kCoroutineHigher,    // coroutine's whole range lies above thread's
  kThreadHigher,       // thread's whole range lies above coroutine's
};
Verdict Judge(const Spread& coroutine, const Spread& thread);

// The table's "coroutine ÷ thread" cell: the ratio of the medians ("1.95×")
// where the difference is clear; "coroutine higher" or "thread higher" where
// it is clear but one median is 0; else "no clear difference" or
// "needs 3+ rounds".
std::string DescribeDifference(const Spread& coroutine, const Spread& thread);

// A cell: the median, then the range in brackets unless every round gave the
// same value, each formatted by `format` ("40.0 ms (38.1 ms–44.2 ms)").
template <typename Format>
std::string FormatSpread(const Spread& spread, Format format) {
  if (spread.rounds == 0) return "-";
  std::string text = format(spread.median);
  if (spread.min != spread.max) {
    text += " (" + format(spread.min) + "–" + format(spread.max) + ")";
  }
  return text;
}

}  // namespace ledger::load
