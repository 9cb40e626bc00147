// --compare's plot, written as plain SVG (no plotting library, nothing to
// install): p99 latency on the left and throughput on the right, both against
// calls in flight on a log scale, one line per serving mode. Every series is
// a <polyline data-mode=".." data-panel="p99|throughput"> with one <circle>
// per level, so scripts can check a plot as easily as people can read it.
#pragma once

#include <string>

#include "client/load/compare.h"
#include "client/load/options.h"

namespace ledger::load {

std::string CompareSvg(const Options& options, const CompareResult& result);

}  // namespace ledger::load
