#include "client/load/compare_report.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/load/json_writer.h"
#include "client/load/report.h"

namespace ledger::load {
namespace {

using Row = std::vector<std::string>;

std::string Mebibytes(double bytes) {
  return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024.0));
}

std::string Percentile(const ModeAtLevel& cell, double percent) {
  return cell.run.calls() == 0 ? "-" : FormatLatency(cell.run.latency.PercentileNanos(percent));
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

}  // namespace

std::string CompareTable(const CompareResult& result) {
  const bool with_server = !result.settings.metrics.empty();
  // One column per quantity and mode, the modes next to each other.
  struct Column {
    std::string title;
    std::function<std::string(const ModeAtLevel&)> cell;
  };
  std::vector<Column> columns = {
      {"calls/s", [](const ModeAtLevel& m) { return absl::StrFormat("%.0f", m.run.throughput()); }},
      {"p50", [](const ModeAtLevel& m) { return Percentile(m, 50); }},
      {"p99", [](const ModeAtLevel& m) { return Percentile(m, 99); }},
      {"p99.9", [](const ModeAtLevel& m) { return Percentile(m, 99.9); }},
      {"errors", [](const ModeAtLevel& m) { return absl::StrCat(m.run.errors()); }},
  };
  if (with_server) {
    columns.push_back({"threads", [](const ModeAtLevel& m) -> std::string {
                         // This mode's own threads, as the server counts them.
                         if (!m.server) return "-";
                         return absl::StrFormat("%.0f", m.server->mode_threads.count(m.mode)
                                                            ? m.server->mode_threads.at(m.mode)
                                                            : 0);
                       }});
    columns.push_back({"RSS", [](const ModeAtLevel& m) -> std::string {
                         if (!m.server || !m.server->resident_memory_bytes) return "-";
                         return Mebibytes(*m.server->resident_memory_bytes);
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
      for (const ModeAtLevel& mode : level.modes) row.push_back(column.cell(mode));
    }
    rows.push_back(row);
  }
  return Render(rows);
}

std::string CompareMarkdown(const CompareResult& result, const std::string& svg_file) {
  const CompareSettings& settings = result.settings;
  std::string text = "# ledger-load --compare\n\n";
  absl::StrAppend(&text,
                  "The same closed-loop workload against each serving mode, alternating "
                  "between them, at each number of calls in flight.\n\n");
  absl::StrAppend(&text, "- targets: coroutine ", settings.targets[0], ", thread ",
                  settings.targets[1], "; ", settings.connections, " connection(s) each\n");
  absl::StrAppend(&text, "- per mode and level: ", absl::FormatDuration(settings.duration),
                  " measured in ", settings.rounds, " round(s), each after ",
                  absl::FormatDuration(settings.warmup), " of warmup\n");
  absl::StrAppend(&text, "- mix ", settings.mix, "; ", settings.accounts, " accounts; seed ",
                  settings.seed, "\n");
  if (!settings.thread_metrics.empty()) {
    absl::StrAppend(&text,
                    "- threads and RSS: the largest ledger_mode_threads{mode} and "
                    "process_resident_memory_bytes scraped while that mode ran, from its own "
                    "server process: http://",
                    settings.metrics, "/metrics (coroutine), http://", settings.thread_metrics,
                    "/metrics (thread)\n");
  } else if (!settings.metrics.empty()) {
    absl::StrAppend(&text,
                    "- threads and RSS: the largest ledger_mode_threads{mode} and "
                    "process_resident_memory_bytes scraped from http://",
                    settings.metrics,
                    "/metrics while that mode ran; both modes share one server process, so "
                    "RSS is a high-water mark of the run so far (a server per --mode shows "
                    "each mode's own)\n");
  }
  absl::StrAppend(&text,
                  "- latency is measured by the client, p99.9 needs 1000+ calls to "
                  "mean much\n\n");
  absl::StrAppend(&text, CompareTable(result), "\n");
  absl::StrAppend(&text, "Ledger check: ", DescribeLedgerCheck(result.ledger), ".\n\n");
  absl::StrAppend(&text, "![p99 latency and throughput against calls in flight](", svg_file, ")\n");
  return text;
}

std::string CompareJson(const CompareResult& result) {
  const CompareSettings& settings = result.settings;
  JsonWriter json;
  json.BeginObject();
  json.Key("tool").String("ledger-load");
  json.Key("kind").String("compare");
  json.Key("settings").BeginObject();
  json.Key("targets").BeginObject();
  for (size_t m = 0; m < kModeNames.size(); ++m)
    json.Key(kModeNames[m]).String(settings.targets[m]);
  json.EndObject();
  json.Key("connections").Int(settings.connections);
  json.Key("client_threads").Int(1);
  json.Key("duration_seconds").Double(absl::ToDoubleSeconds(settings.duration));
  json.Key("warmup_seconds").Double(absl::ToDoubleSeconds(settings.warmup));
  json.Key("rounds").Int(settings.rounds);
  json.Key("mix").String(settings.mix);
  json.Key("accounts").Int(settings.accounts);
  json.Key("seed").Int(static_cast<int64_t>(settings.seed));
  json.Key("metrics").String(settings.metrics);
  json.Key("thread_metrics").String(settings.thread_metrics);
  json.EndObject();
  json.Key("levels").BeginArray();
  for (const LevelResult& level : result.levels) json.Int(level.concurrency);
  json.EndArray();
  json.Key("rows").BeginArray();
  for (const LevelResult& level : result.levels) {
    for (const ModeAtLevel& cell : level.modes) {
      const RunResult& run = cell.run;
      json.BeginObject();
      json.Key("concurrency").Int(level.concurrency);
      json.Key("mode").String(cell.mode);
      json.Key("calls").Int(run.calls());
      json.Key("errors").Int(run.errors());
      json.Key("throughput").Double(run.throughput());
      json.Key("peak_in_flight").Int(run.peak_in_flight);
      json.Key("latency");
      WriteLatencyJson(json, run.latency, /*buckets=*/false);
      json.Key("status_codes");
      WriteCodesJson(json, run.by_code);
      if (cell.server) {
        json.Key("server");
        WriteServerJson(json, *cell.server);
        // This mode's own numbers, so a reader need not pick them out.
        json.Key("mode_threads_max");
        if (auto found = cell.server->mode_threads.find(cell.mode);
            found != cell.server->mode_threads.end()) {
          json.Double(found->second);
        } else {
          json.Null();
        }
        json.Key("resident_memory_bytes_max");
        if (cell.server->resident_memory_bytes) {
          json.Double(*cell.server->resident_memory_bytes);
        } else {
          json.Null();
        }
      }
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
