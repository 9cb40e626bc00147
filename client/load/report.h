// How runs are reported: a summary for people on stdout and the full result
// as JSON (--json) for scripts, both from the same RunResult. --compare's
// report renders each of its runs with the same pieces.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "client/common/json_writer.h"
#include "client/load/ledger_accounts.h"
#include "client/load/load_driver.h"
#include "client/load/options.h"
#include "client/load/run_result.h"

namespace ledger::load {

// "closed loop, 64 calls in flight, 10s measured after 1s of warmup".
std::string DescribePlan(const LoadPlan& plan);
// Its first part: "closed loop, 64 calls in flight".
std::string DescribeLoop(const LoadPlan& plan);
// "mix get:40,transfer:40,list:10,stream:10; 1000 accounts; seed 1".
std::string DescribeWorkload(const WorkloadOptions& workload);
// "812 us", "1.23 ms", "2.51 s": three significant digits, the unit that
// keeps the number readable.
std::string FormatLatency(int64_t nanos);
double Milliseconds(int64_t nanos);
// "812.5 MiB".
std::string FormatMebibytes(double bytes);
// "OK 1234, NotFound 2" (codes that occurred only), named as the server's
// metrics name them (grpc_code label).
std::string FormatCodes(const std::array<int64_t, kStatusCodes>& by_code);
std::string DescribeLedgerCheck(const LedgerCheck& check);

// A run's numbers as members of the JSON object being written: calls,
// errors, throughput, peak in flight, latency percentiles, status codes and
// the server's peaks. `full` adds what only a single run's report holds: the
// warmup and the window, the histogram's buckets and each operation's
// latencies.
void WriteRunJson(JsonWriter& json, const RunResult& run, bool full);
void WriteLedgerCheckJson(JsonWriter& json, const LedgerCheck& check);

// The run's report; it repeats the settings of `options`, so that a result
// says what it measured.
std::string RunSummaryText(const Options& options, const RunResult& result,
                           const LedgerCheck& check);
std::string RunJson(const Options& options, const RunResult& result, const LedgerCheck& check);

}  // namespace ledger::load
