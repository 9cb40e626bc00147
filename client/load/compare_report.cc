#include "client/load/compare_report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/common/json_writer.h"
#include "client/load/error_kinds.h"
#include "client/load/report.h"

namespace ledger::load {
namespace {

using Row = std::vector<std::string>;

// The JSON's names of the figures, as Figure.
constexpr std::array<const char*, kFigures> kFigureKeys = {"throughput",
                                                           "p50_ms",
                                                           "p99_ms",
                                                           "p999_ms",
                                                           "errors",
                                                           "mode_threads_max",
                                                           "resident_memory_bytes_max"};

// The figures the table shows: the servers' only with --metrics.
int ShownFigures(const Options& options) {
  return options.output.metrics.empty() ? kThreads : kFigures;
}

std::string FormatFigure(int figure, double value) {
  switch (figure) {
    case kCallsPerSecond:
      return absl::StrFormat("%.0f", value);
    case kP50:
    case kP99:
    case kP999:
      return FormatLatency(std::llround(value * 1e6));
    case kResidentMemory:
      return FormatMebibytes(value);
    default:  // counts; an even number of rounds can give a half
      return absl::StrFormat("%.6g", value);
  }
}

std::string FormatFigureSpread(int figure, const Spread& spread) {
  return FormatSpread(spread, [figure](double value) { return FormatFigure(figure, value); });
}

// Characters as a terminal shows them: UTF-8 continuation bytes take no
// column (the table has "–" and "÷").
size_t Columns(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

// Pads every cell to its column's width; numbers are right-aligned, which
// the separator row tells Markdown renderers too.
std::string Render(const std::vector<Row>& rows) {
  std::vector<size_t> widths(rows[0].size(), 3);
  for (const Row& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], Columns(row[c]));
  }
  std::string text;
  for (size_t r = 0; r < rows.size(); ++r) {
    text += "|";
    for (size_t c = 0; c < rows[r].size(); ++c) {
      absl::StrAppend(&text, " ", std::string(widths[c] - Columns(rows[r][c]), ' '), rows[r][c],
                      " |");
    }
    text += "\n";
    if (r == 0) {
      text += "|";
      for (size_t width : widths) absl::StrAppend(&text, std::string(width + 1, '-'), ":|");
      text += "\n";
    }
  }
  return text;
}

std::string DescribeCores(const Options& options, const CoresSeen& cores) {
  std::string text = absl::StrCat("- cores: ", cores.online, " online; ledger-load ran on cores ",
                                  cores.load_cpus.empty() ? "(unknown)" : cores.load_cpus, "; ");
  if (!options.compare.placement.empty()) {
    absl::StrAppend(&text, options.compare.placement);
  } else {
    absl::StrAppend(&text, "the servers' placement was not given (--placement)");
  }
  return text + "\n";
}

// Each level's and mode's failed calls by code and message kind, explained.
std::string DescribeErrors(const CompareResult& result) {
  std::string text;
  for (const LevelResult& level : result.levels) {
    for (size_t m = 0; m < kModeNames.size(); ++m) {
      const RunResult& merged = level.merged[m];
      if (merged.errors() == 0) continue;
      const Spread per_round = ModeFigures(level.rounds[m], kModeNames[m])[kErrors];
      absl::StrAppend(&text, "- ", level.concurrency, " in flight, ", kModeNames[m],
                      " mode: ", merged.errors(), " of ", merged.calls(), " calls failed in ",
                      level.rounds[m].size(), " round(s) (", FormatFigureSpread(kErrors, per_round),
                      " per round):\n");
      for (const auto& [key, count] : merged.error_kinds) {
        absl::StrAppend(&text, "  - ", count, " × ", DescribeErrorKind(key.first, key.second),
                        "\n");
      }
    }
  }
  return text.empty() ? "No call failed.\n" : text;
}

void WriteSpreadJson(JsonWriter& json, const Spread& spread) {
  if (spread.rounds == 0) {
    json.Null();
    return;
  }
  json.BeginObject();
  json.Key("median").Double(spread.median);
  json.Key("min").Double(spread.min);
  json.Key("max").Double(spread.max);
  json.Key("rounds").Int(spread.rounds);
  json.EndObject();
}

void WriteCompareSettingsJson(JsonWriter& json, const Options& options,
                              const CompareResult& result) {
  json.BeginObject();
  json.Key("targets").BeginObject();
  json.Key(kModeNames[0]).String(options.target);
  json.Key(kModeNames[1]).String(options.thread_target);
  json.EndObject();
  json.Key("connections").Int(options.connections);
  // TLS costs handshakes and encryption: a result says whether it paid them
  // (never the token, only whether there was one).
  json.Key("security").String(options.security.Describe());
  json.Key("client_threads").Int(1);
  json.Key("duration_seconds").Double(absl::ToDoubleSeconds(options.plan.duration));
  json.Key("warmup_seconds").Double(absl::ToDoubleSeconds(options.plan.warmup));
  json.Key("rounds").Int(options.compare.rounds);
  json.Key("mix").String(FormatMix(options.workload.mix));
  json.Key("accounts").Int(static_cast<int64_t>(options.workload.account_ids.size()));
  json.Key("seed").Int(static_cast<int64_t>(options.workload.seed));
  json.Key("metrics").String(options.output.metrics);
  json.Key("thread_metrics").String(options.thread_metrics);
  json.Key("cores_online").Int(result.cores.online);
  json.Key("load_cpus").String(result.cores.load_cpus);
  json.Key("placement").String(options.compare.placement);
  json.EndObject();
}

void WriteRowJson(JsonWriter& json, const LevelResult& level, size_t m) {
  const char* mode = kModeNames[m];
  json.BeginObject();
  json.Key("concurrency").Int(level.concurrency);
  json.Key("mode").String(mode);
  json.Key("rounds").Int(static_cast<int64_t>(level.rounds[m].size()));
  json.Key("figures").BeginObject();
  const std::array<Spread, kFigures> figures = ModeFigures(level.rounds[m], mode);
  for (int f = 0; f < kFigures; ++f) {
    json.Key(kFigureKeys[f]);
    WriteSpreadJson(json, figures[f]);
  }
  json.EndObject();
  // Counts add up over the rounds; the totals' throughput and latencies
  // are those of all rounds' calls together.
  json.Key("totals").BeginObject();
  WriteRunJson(json, level.merged[m], /*full=*/false);
  json.EndObject();
  json.Key("error_kinds").BeginArray();
  for (const auto& [key, count] : level.merged[m].error_kinds) {
    json.BeginObject();
    json.Key("code").String(CanonicalCodeName(key.first));
    json.Key("message_kind").String(key.second);
    json.Key("count").Int(count);
    json.Key("description").String(DescribeErrorKind(key.first, key.second));
    json.EndObject();
  }
  json.EndArray();
  json.Key("by_round").BeginArray();
  for (const RunResult& run : level.rounds[m]) {
    json.BeginObject();
    WriteRunJson(json, run, /*full=*/false);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kTooFewRounds:
      return "too few rounds";
    case Verdict::kNoClearDifference:
      return "no clear difference";
    case Verdict::kCoroutineHigher:
      return "coroutine higher";
    case Verdict::kThreadHigher:
      return "thread higher";
  }
  return "";
}

}  // namespace

std::array<Spread, kFigures> ModeFigures(const std::vector<RunResult>& rounds, const char* mode) {
  std::array<std::vector<double>, kFigures> values;
  for (const RunResult& run : rounds) {
    values[kCallsPerSecond].push_back(run.throughput());
    if (run.calls() > 0) {
      values[kP50].push_back(Milliseconds(run.latency.PercentileNanos(50)));
      values[kP99].push_back(Milliseconds(run.latency.PercentileNanos(99)));
      values[kP999].push_back(Milliseconds(run.latency.PercentileNanos(99.9)));
    }
    values[kErrors].push_back(static_cast<double>(run.errors()));
    if (!run.server) continue;
    if (std::optional<double> threads = run.server->ModeThreads(mode)) {
      values[kThreads].push_back(*threads);
    }
    if (run.server->resident_memory_bytes) {
      values[kResidentMemory].push_back(*run.server->resident_memory_bytes);
    }
  }
  std::array<Spread, kFigures> figures;
  for (int f = 0; f < kFigures; ++f) figures[f] = SpreadOf(std::move(values[f]));
  return figures;
}

std::string CompareTable(const Options& options, const CompareResult& result) {
  std::vector<Row> rows = {{"in flight", "figure", kModeNames[0], kModeNames[1],
                            absl::StrCat(kModeNames[0], " ÷ ", kModeNames[1])}};
  for (const LevelResult& level : result.levels) {
    const std::array<Spread, kFigures> coroutine = ModeFigures(level.rounds[0], kModeNames[0]);
    const std::array<Spread, kFigures> thread = ModeFigures(level.rounds[1], kModeNames[1]);
    for (int f = 0; f < ShownFigures(options); ++f) {
      rows.push_back({absl::StrCat(level.concurrency), kFigureNames[f],
                      FormatFigureSpread(f, coroutine[f]), FormatFigureSpread(f, thread[f]),
                      DescribeDifference(coroutine[f], thread[f])});
    }
  }
  return Render(rows);
}

std::string CompareMarkdown(const Options& options, const CompareResult& result,
                            const std::string& svg_file) {
  const std::string& metrics = options.output.metrics;
  const std::string& thread_metrics = options.thread_metrics;
  const int rounds = options.compare.rounds;
  std::string text = "# ledger-load --compare\n\n";
  absl::StrAppend(&text,
                  "The same closed-loop workload against each serving mode, alternating "
                  "between them, at each number of calls in flight.\n\n");
  absl::StrAppend(&text, "- targets: coroutine ", options.target, ", thread ",
                  options.thread_target, "; ", options.connections, " connection(s) each, ",
                  options.security.Describe(), "\n");
  absl::StrAppend(&text, "- per mode and level: ", absl::FormatDuration(options.plan.duration),
                  " measured in ", rounds, " round(s) of ",
                  absl::FormatDuration(options.plan.duration / rounds), ", each after ",
                  absl::FormatDuration(options.plan.warmup),
                  " of warmup; the mode that goes first alternates from round to round\n");
  absl::StrAppend(&text, "- ", DescribeWorkload(options.workload), "\n");
  absl::StrAppend(&text, DescribeCores(options, result.cores));
  if (!thread_metrics.empty()) {
    absl::StrAppend(&text,
                    "- threads and RSS: the largest ledger_mode_threads{mode} and "
                    "process_resident_memory_bytes scraped while that mode ran, from its own "
                    "server process: http://",
                    metrics, "/metrics (coroutine), http://", thread_metrics,
                    "/metrics (thread)\n");
  } else if (!metrics.empty()) {
    absl::StrAppend(&text,
                    "- threads and RSS: the largest ledger_mode_threads{mode} and "
                    "process_resident_memory_bytes scraped from http://",
                    metrics,
                    "/metrics while that mode ran; both modes share one server process, so "
                    "RSS is a high-water mark of the run so far (a server per --mode shows "
                    "each mode's own)\n");
  }
  absl::StrAppend(&text,
                  "- latency is measured by the client, p99.9 needs 1000+ calls per round to "
                  "mean much; calls/s counts every call that ended in the window, failed ones "
                  "too (a refusal is quick: see the failed calls below the table)\n\n");
  absl::StrAppend(&text, CompareTable(options, result), "\n");
  absl::StrAppend(
      &text, "How to read it: each cell is the median of the mode's ", rounds,
      " round(s), and in brackets the lowest and the highest round (one value: every round "
      "gave it). \"coroutine ÷ thread\" is the ratio of the medians where the two ranges do "
      "not overlap; where they overlap it says \"no clear difference\": the modes differed "
      "by less than the rounds of one mode did, so the machine's noise could explain it. It "
      "takes ",
      kRoundsForVerdict, " rounds or more to tell (\"needs ", kRoundsForVerdict,
      "+ rounds\").\n\n");
  absl::StrAppend(&text, "Failed calls, by gRPC code and message:\n\n", DescribeErrors(result),
                  "\n");
  absl::StrAppend(&text, "Ledger check: ", DescribeLedgerCheck(result.ledger), ".\n\n");
  absl::StrAppend(&text, "![p99 latency and throughput against calls in flight](", svg_file, ")\n");
  return text;
}

std::string CompareJson(const Options& options, const CompareResult& result) {
  JsonWriter json;
  json.BeginObject();
  json.Key("tool").String("ledger-load");
  json.Key("kind").String("compare");
  json.Key("settings");
  WriteCompareSettingsJson(json, options, result);
  json.Key("levels").BeginArray();
  for (const LevelResult& level : result.levels) json.Int(level.concurrency);
  json.EndArray();
  json.Key("rows").BeginArray();
  for (const LevelResult& level : result.levels) {
    for (size_t m = 0; m < kModeNames.size(); ++m) WriteRowJson(json, level, m);
  }
  json.EndArray();
  // Per level and figure: whether the modes' ranges are apart, and the
  // ratio of the medians (coroutine over thread) where both are above 0.
  json.Key("differences").BeginArray();
  for (const LevelResult& level : result.levels) {
    const std::array<Spread, kFigures> coroutine = ModeFigures(level.rounds[0], kModeNames[0]);
    const std::array<Spread, kFigures> thread = ModeFigures(level.rounds[1], kModeNames[1]);
    for (int f = 0; f < kFigures; ++f) {
      if (coroutine[f].rounds == 0 || thread[f].rounds == 0) continue;
      json.BeginObject();
      json.Key("concurrency").Int(level.concurrency);
      json.Key("figure").String(kFigureKeys[f]);
      json.Key("verdict").String(VerdictName(Judge(coroutine[f], thread[f])));
      json.Key("ratio").Double(thread[f].median > 0
                                   ? std::optional(coroutine[f].median / thread[f].median)
                                   : std::nullopt);
      json.EndObject();
    }
  }
  json.EndArray();
  json.Key("ledger_check");
  WriteLedgerCheckJson(json, result.ledger);
  json.EndObject();
  return json.Take();
}

}  // namespace ledger::load
