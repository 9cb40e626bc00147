#include "client/load/compare_report.h"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/common/json_writer.h"
#include "client/load/report.h"

namespace ledger::load {
namespace {

using Row = std::vector<std::string>;

// The table's columns, one per quantity and mode; the last two are the
// server's.
constexpr std::array<const char*, 7> kQuantities = {"calls/s", "p50",     "p99", "p99.9",
                                                    "errors",  "threads", "RSS"};

// One mode's cells at one level, as kQuantities.
Row Cells(const RunResult& run, const char* mode) {
  auto percentile = [&run](double percent) {
    return run.calls() == 0 ? "-" : FormatLatency(run.latency.PercentileNanos(percent));
  };
  const ServerPeaks* server = run.server ? &*run.server : nullptr;
  return {absl::StrFormat("%.0f", run.throughput()),
          percentile(50),
          percentile(99),
          percentile(99.9),
          absl::StrCat(run.errors()),
          server ? absl::StrFormat("%.0f", server->ModeThreads(mode).value_or(0)) : "-",
          server && server->resident_memory_bytes ? FormatMebibytes(*server->resident_memory_bytes)
                                                  : "-"};
}

// Pads every cell to its column's width; numbers are right-aligned, which
// the separator row tells Markdown renderers too.
std::string Render(const std::vector<Row>& rows) {
  std::vector<size_t> widths(rows[0].size(), 3);
  for (const Row& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string text;
  for (size_t r = 0; r < rows.size(); ++r) {
    text += "|";
    for (size_t c = 0; c < rows[r].size(); ++c) {
      absl::StrAppend(&text, " ", std::string(widths[c] - rows[r][c].size(), ' '), rows[r][c],
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

void WriteCompareSettingsJson(JsonWriter& json, const Options& options) {
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
  json.EndObject();
}

void WriteRowJson(JsonWriter& json, int concurrency, const char* mode, const RunResult& run) {
  json.BeginObject();
  json.Key("concurrency").Int(concurrency);
  json.Key("mode").String(mode);
  WriteRunJson(json, run, /*full=*/false);
  if (run.server) {
    // This mode's own numbers, so a reader need not pick them out.
    json.Key("mode_threads_max").Double(run.server->ModeThreads(mode));
    json.Key("resident_memory_bytes_max").Double(run.server->resident_memory_bytes);
  }
  json.EndObject();
}

}  // namespace

std::string CompareTable(const Options& options, const CompareResult& result) {
  // The servers' numbers only with --metrics.
  const size_t quantities = options.output.metrics.empty() ? 5 : kQuantities.size();
  std::vector<Row> rows = {{"in flight"}};
  for (size_t q = 0; q < quantities; ++q) {
    for (const char* mode : kModeNames) rows[0].push_back(absl::StrCat(mode, " ", kQuantities[q]));
  }
  for (const LevelResult& level : result.levels) {
    std::array<Row, kModeNames.size()> cells;
    for (size_t m = 0; m < kModeNames.size(); ++m)
      cells[m] = Cells(level.by_mode[m], kModeNames[m]);
    Row& row = rows.emplace_back(Row{absl::StrCat(level.concurrency)});
    // The modes next to each other under each quantity.
    for (size_t q = 0; q < quantities; ++q) {
      for (const Row& mode : cells) row.push_back(mode[q]);
    }
  }
  return Render(rows);
}

std::string CompareMarkdown(const Options& options, const CompareResult& result,
                            const std::string& svg_file) {
  const std::string& metrics = options.output.metrics;
  const std::string& thread_metrics = options.thread_metrics;
  std::string text = "# ledger-load --compare\n\n";
  absl::StrAppend(&text,
                  "The same closed-loop workload against each serving mode, alternating "
                  "between them, at each number of calls in flight.\n\n");
  absl::StrAppend(&text, "- targets: coroutine ", options.target, ", thread ",
                  options.thread_target, "; ", options.connections, " connection(s) each, ",
                  options.security.Describe(), "\n");
  absl::StrAppend(&text, "- per mode and level: ", absl::FormatDuration(options.plan.duration),
                  " measured in ", options.compare.rounds, " round(s), each after ",
                  absl::FormatDuration(options.plan.warmup), " of warmup\n");
  absl::StrAppend(&text, "- ", DescribeWorkload(options.workload), "\n");
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
                  "- latency is measured by the client, p99.9 needs 1000+ calls to "
                  "mean much\n\n");
  absl::StrAppend(&text, CompareTable(options, result), "\n");
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
  WriteCompareSettingsJson(json, options);
  json.Key("levels").BeginArray();
  for (const LevelResult& level : result.levels) json.Int(level.concurrency);
  json.EndArray();
  json.Key("rows").BeginArray();
  for (const LevelResult& level : result.levels) {
    for (size_t m = 0; m < kModeNames.size(); ++m) {
      WriteRowJson(json, level.concurrency, kModeNames[m], level.by_mode[m]);
    }
  }
  json.EndArray();
  json.Key("ledger_check");
  WriteLedgerCheckJson(json, result.ledger);
  json.EndObject();
  return json.Take();
}

}  // namespace ledger::load
