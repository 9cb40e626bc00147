// --compare's report: one table with the modes side by side at each level
// (Markdown, aligned so it also reads well on a terminal), the same as a
// Markdown file, every row as JSON, and a plot (svg_plot.cc).
#pragma once

#include <string>

#include "client/load/compare.h"
#include "client/load/options.h"

namespace ledger::load {

// Each takes the Options the comparison ran with, to say what was run.
// The side-by-side table alone.
std::string CompareTable(const Options& options, const CompareResult& result);
// A Markdown document: what was run, the table, the money check, the plot.
std::string CompareMarkdown(const Options& options, const CompareResult& result,
                            const std::string& svg_file);
// {"settings":{..},"levels":[..],"rows":[{"concurrency":..,"mode":..,...}],"ledger_check":{..}}
std::string CompareJson(const Options& options, const CompareResult& result);
// Plain SVG (no plotting library, nothing to install): p99 latency on the
// left and throughput on the right, both against calls in flight on a log
// scale, one line per serving mode. Every series is a <polyline
// data-mode=".." data-panel="p99|throughput"> with one <circle> per level,
// so scripts can check a plot as easily as people can read it.
std::string CompareSvg(const Options& options, const CompareResult& result);

}  // namespace ledger::load
