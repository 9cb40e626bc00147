// --compare's report: one table with the modes side by side at each level
// (Markdown, aligned so it also reads well on a terminal), the same as a
// Markdown file, and every row as JSON.
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

}  // namespace ledger::load
