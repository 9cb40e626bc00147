#include "client/load/compare_report.h"

#include <algorithm>
#include <functional>
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

std::string Percentile(const RunResult& run, double percent) {
  return run.calls() == 0 ? "-" : FormatLatency(run.latency.PercentileNanos(percent));
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
  json.Key(kModeNames[1]).String(options.compare.thread_target);
  json.EndObject();
  json.Key("connections").Int(options.connections);
  json.Key("client_threads").Int(1);
  json.Key("duration_seconds").Double(absl::ToDoubleSeconds(options.plan.duration));
  json.Key("warmup_seconds").Double(absl::ToDoubleSeconds(options.plan.warmup));
  json.Key("rounds").Int(options.compare.rounds);
  json.Key("mix").String(FormatMix(options.workload.mix));
  json.Key("accounts").Int(static_cast<int64_t>(options.workload.account_ids.size()));
  json.Key("seed").Int(static_cast<int64_t>(options.workload.seed));
  json.Key("metrics").String(options.output.metrics);
  json.Key("thread_metrics").String(options.compare.thread_metrics);
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
  const bool with_server = !options.output.metrics.empty();
  // One column per quantity and mode, the modes next to each other.
  struct Column {
    std::string title;
    std::function<std::string(const RunResult&, const char* mode)> cell;
  };
  std::vector<Column> columns = {
      {"calls/s",
       [](const RunResult& run, auto) { return absl::StrFormat("%.0f", run.throughput()); }},
      {"p50", [](const RunResult& run, auto) { return Percentile(run, 50); }},
      {"p99", [](const RunResult& run, auto) { return Percentile(run, 99); }},
      {"p99.9", [](const RunResult& run, auto) { return Percentile(run, 99.9); }},
      {"errors", [](const RunResult& run, auto) { return absl::StrCat(run.errors()); }},
  };
  if (with_server) {
    columns.push_back({"threads", [](const RunResult& run, const char* mode) -> std::string {
                         if (!run.server) return "-";
                         return absl::StrFormat("%.0f", run.server->ModeThreads(mode).value_or(0));
                       }});
    columns.push_back({"RSS", [](const RunResult& run, auto) -> std::string {
                         if (!run.server || !run.server->resident_memory_bytes) return "-";
                         return FormatMebibytes(*run.server->resident_memory_bytes);
                       }});
  }
  std::vector<Row> rows;
  Row header = {"in flight"};
  for (const Column& column : columns) {
    for (const char* mode : kModeNames) header.push_back(absl::StrCat(mode, " ", column.title));
  }
  rows.push_back(header);
  for (const LevelResult& level : result.levels) {
    Row row = {absl::StrCat(level.concurrency)};
    for (const Column& column : columns) {
      for (size_t m = 0; m < kModeNames.size(); ++m) {
        row.push_back(column.cell(level.by_mode[m], kModeNames[m]));
      }
    }
    rows.push_back(row);
  }
  return Render(rows);
}

std::string CompareMarkdown(const Options& options, const CompareResult& result,
                            const std::string& svg_file) {
  const std::string& metrics = options.output.metrics;
  const std::string& thread_metrics = options.compare.thread_metrics;
  std::string text = "# ledger-load --compare\n\n";
  absl::StrAppend(&text,
                  "The same closed-loop workload against each serving mode, alternating "
                  "between them, at each number of calls in flight.\n\n");
  absl::StrAppend(&text, "- targets: coroutine ", options.target, ", thread ",
                  options.compare.thread_target, "; ", options.connections,
                  " connection(s) each\n");
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
