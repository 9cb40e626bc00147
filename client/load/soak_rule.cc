#include "client/load/soak_rule.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ledger::load {
namespace {

constexpr double kMebibyte = 1024.0 * 1024.0;

std::string Mebibytes(double bytes) { return absl::StrFormat("%+.1f MiB", bytes / kMebibyte); }

// The median of `value` over samples [begin, end).
double Median(const std::vector<SoakSample>& samples, size_t begin, size_t end,
              const std::function<double(const SoakSample&)>& value) {
  std::vector<double> values;
  for (size_t i = begin; i < end; ++i) values.push_back(value(samples[i]));
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void JudgeTotal(const std::vector<SoakSample>& samples, int64_t expected_total,
                SoakVerdict& verdict) {
  size_t changed = 0;
  for (const SoakSample& sample : samples) {
    if (sample.total == expected_total) continue;
    ++changed;
    verdict.failures.push_back(absl::StrCat("the total changed: ", sample.total, " at ", sample.at,
                                            " where the accounts were opened with ", expected_total,
                                            " (", sample.total > expected_total ? "+" : "",
                                            sample.total - expected_total, ")"));
  }
  if (changed == 0) {
    verdict.findings.push_back(
        absl::StrCat("total ", expected_total, " at all ", samples.size(), " samples"));
  }
}

void JudgeQuiet(const std::vector<SoakSample>& samples, SoakVerdict& verdict) {
  for (const SoakSample& sample : samples) {
    if (sample.inflight == 0) continue;
    verdict.failures.push_back(absl::StrCat("the server still had ", sample.inflight,
                                            " call(s) in flight at ", sample.at,
                                            ", seconds after every call of the soak ended"));
  }
}

void JudgeAudits(const std::vector<SoakSample>& samples, SoakVerdict& verdict) {
  int64_t inconsistent = 0;
  for (const SoakSample& sample : samples) inconsistent += sample.inconsistent_audits;
  if (inconsistent > 0) {
    verdict.failures.push_back(
        absl::StrCat(inconsistent,
                     " Audit call(s) found an account whose journal does not add up to its "
                     "balance (DataLoss)"));
  }
}

// Samples [middle, last) are the middle third, [last, end) the last.
void JudgeMemory(const std::vector<SoakSample>& samples, size_t middle, size_t last,
                 const SoakRule& rule, SoakVerdict& verdict) {
  auto unexplained = [&](const SoakSample& sample) {
    return sample.resident_bytes - rule.bytes_per_record * static_cast<double>(sample.records);
  };
  auto resident = [](const SoakSample& sample) { return sample.resident_bytes; };
  auto records = [](const SoakSample& sample) { return static_cast<double>(sample.records); };
  const size_t end = samples.size();
  const double grown =
      Median(samples, last, end, resident) - Median(samples, middle, last, resident);
  const double new_records =
      Median(samples, last, end, records) - Median(samples, middle, last, records);
  const double growth =
      Median(samples, last, end, unexplained) - Median(samples, middle, last, unexplained);
  const double allowed = rule.memory_tolerance * Median(samples, middle, last, resident);
  // What each new record cost, all growth counted: compare with what the
  // store needs, to see how much room the allowance left.
  const std::string per_record =
      new_records > 0 ? absl::StrFormat(" (%.0f B a record)", grown / new_records) : "";
  const std::string finding = absl::StrFormat(
      "memory: the last third's median %s on the middle third's with %.0f new records%s, %s "
      "beyond %.0f B a record (allowed %s)",
      Mebibytes(grown), new_records, per_record, Mebibytes(growth), rule.bytes_per_record,
      Mebibytes(allowed));
  verdict.findings.push_back(finding);
  if (growth > allowed) verdict.failures.push_back(absl::StrCat("memory keeps growing: ", finding));
}

void JudgeFrames(const std::vector<SoakSample>& samples, size_t middle, size_t last,
                 const SoakRule& rule, SoakVerdict& verdict) {
  auto frames = [](const SoakSample& sample) { return sample.frames; };
  const double before = Median(samples, middle, last, frames);
  const double after = Median(samples, last, samples.size(), frames);
  const std::string finding = absl::StrFormat(
      "frames: the last third's median %.0f, the middle third's %.0f (allowed %+.0f)", after,
      before, rule.frames_tolerance);
  verdict.findings.push_back(finding);
  if (after - before > rule.frames_tolerance) {
    verdict.failures.push_back(absl::StrCat("coroutine frames keep growing: ", finding));
  }
}

}  // namespace

SoakVerdict JudgeSoak(const std::vector<SoakSample>& samples, int64_t expected_total,
                      const SoakRule& rule) {
  SoakVerdict verdict;
  JudgeTotal(samples, expected_total, verdict);
  JudgeQuiet(samples, verdict);
  JudgeAudits(samples, verdict);
  // samples[0] was taken before any load.
  const size_t after_start = samples.empty() ? 0 : samples.size() - 1;
  const size_t third = after_start / 3;
  if (third == 0) {
    verdict.findings.push_back(
        absl::StrCat("growth not judged: ", after_start,
                     " sample(s) after the start, and it takes 3 (a warm-up, a middle and a "
                     "last third)"));
    return verdict;
  }
  const size_t last = samples.size() - third;
  const size_t middle = last - third;
  verdict.findings.push_back(absl::StrCat(
      "thirds: warm-up to ", samples[middle - 1].at, ", middle ", samples[middle].at, " to ",
      samples[last - 1].at, ", last ", samples[last].at, " to ", samples.back().at));
  JudgeMemory(samples, middle, last, rule, verdict);
  JudgeFrames(samples, middle, last, rule, verdict);
  return verdict;
}

}  // namespace ledger::load
