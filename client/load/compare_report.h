// --compare's report: one table with the modes side by side at each level
// (Markdown, aligned so it also reads well on a terminal), the same as a
// Markdown file, every row as JSON, and a plot (svg_plot.cc).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "client/load/compare.h"
#include "client/load/compare_stats.h"
#include "client/load/options.h"

namespace ledger::load {

// The figures the table gives per mode and level, each the Spread of the
// mode's rounds.
enum Figure { kCallsPerSecond, kP50, kP99, kP999, kErrors, kThreads, kResidentMemory };
inline constexpr int kFigures = 7;
// The table's names, as Figure.
inline constexpr std::array<const char*, kFigures> kFigureNames = {
    "calls/s", "p50", "p99", "p99.9", "errors", "threads", "RSS"};
// Latencies in milliseconds, RSS in bytes. A round counts only where it
// measured the figure: latencies need a call, threads and RSS a scrape of
// the server (--metrics); a figure no round measured has rounds == 0.
std::array<Spread, kFigures> ModeFigures(const std::vector<RunResult>& rounds, const char* mode);

// Each takes the Options the comparison ran with, to say what was run.
// The table alone: a row per level and figure, with each mode's median and
// range and whether they differ clearly (compare_stats.h).
std::string CompareTable(const Options& options, const CompareResult& result);
// A Markdown document: what was run and on which cores, the table, how to
// read it, why calls failed, the money check, the plot.
std::string CompareMarkdown(const Options& options, const CompareResult& result,
                            const std::string& svg_file);
// {"settings":{..},"levels":[..],"rows":[{"concurrency":..,"mode":..,"figures":{"throughput":
// {"median":..,"min":..,"max":..},..},"totals":{..},"error_kinds":[..],"by_round":[..]}],
// "differences":[..],"ledger_check":{..}}
std::string CompareJson(const Options& options, const CompareResult& result);
// Plain SVG (no plotting library, nothing to install): p99 latency on the
// left and throughput on the right, both against calls in flight on a log
// scale, one line per serving mode through the medians, with a bar from
// each level's lowest to highest round. Every series is a <polyline
// data-mode=".." data-panel="p99|throughput"> with one <circle> per level,
// so scripts can check a plot as easily as people can read it.
std::string CompareSvg(const Options& options, const CompareResult& result);

}  // namespace ledger::load
