// How a single run is reported: a summary for people on stdout and the full
// result as JSON (--json) for scripts, both from the same RunResult. The
// helpers are shared with --compare's report.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "client/common/json_writer.h"
#include "client/load/latency_histogram.h"
#include "client/load/ledger_accounts.h"
#include "client/load/load_driver.h"
#include "client/load/metrics_probe.h"
#include "client/load/options.h"
#include "client/load/run_result.h"

namespace ledger::load {

// The percentiles every report shows, with their label and JSON key.
struct ReportedPercentile {
  const char* label;
  const char* json_key;
  double percent;
};
inline constexpr std::array<ReportedPercentile, 4> kReportedPercentiles = {{
    {"p50", "p50_ms", 50},
    {"p90", "p90_ms", 90},
    {"p99", "p99_ms", 99},
    {"p99.9", "p999_ms", 99.9},
}};

// "closed loop, 64 calls in flight, 10s measured after 1s of warmup".
std::string DescribePlan(const LoadPlan& plan);
// "812 us", "1.23 ms", "2.51 s": three significant digits, the unit that
// keeps the number readable.
std::string FormatLatency(int64_t nanos);
double Milliseconds(int64_t nanos);
// "812.5 MiB".
std::string FormatMebibytes(double bytes);
// The status codes as the server's metrics spell them (grpc_code label).
const char* CodeName(int code);
// "OK 1234, NotFound 2" (codes that occurred only).
std::string FormatCodes(const std::array<int64_t, kStatusCodes>& by_code);

// {"count":..,"min_ms":..,"mean_ms":..,"p50_ms":..,...,"max_ms":..} and,
// with `buckets`, the histogram's non-empty buckets in nanoseconds.
void WriteLatencyJson(JsonWriter& json, const LatencyHistogram& latency, bool buckets);
void WriteCodesJson(JsonWriter& json, const std::array<int64_t, kStatusCodes>& by_code);
void WriteServerJson(JsonWriter& json, const ServerPeaks& server);
void WriteLedgerCheckJson(JsonWriter& json, const LedgerCheck& check);
std::string DescribeLedgerCheck(const LedgerCheck& check);

// The run's report; it repeats the settings of `options`, so that a result
// says what it measured.
std::string RunSummaryText(const Options& options, const RunResult& result,
                           const std::optional<ServerPeaks>& server, const LedgerCheck& check);
std::string RunJson(const Options& options, const RunResult& result,
                    const std::optional<ServerPeaks>& server, const LedgerCheck& check);

}  // namespace ledger::load
