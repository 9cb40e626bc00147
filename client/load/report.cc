#include "client/load/report.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "contract/metric_names.h"

namespace ledger::load {
namespace {

// The percentiles a single run reports, with their label and JSON key.
struct ReportedPercentile {
  const char* label;
  const char* json_key;
  double percent;
};
constexpr std::array<ReportedPercentile, 4> kReportedPercentiles = {{
    {"p50", "p50_ms", 50},
    {"p90", "p90_ms", 90},
    {"p99", "p99_ms", 99},
    {"p99.9", "p999_ms", 99.9},
}};

std::string ThreeDigits(double value) {
  if (value >= 100) return absl::StrFormat("%.0f", value);
  if (value >= 10) return absl::StrFormat("%.1f", value);
  return absl::StrFormat("%.2f", value);
}

std::string LatencyLine(const LatencyHistogram& latency) {
  std::vector<std::string> parts;
  for (const ReportedPercentile& percentile : kReportedPercentiles) {
    parts.push_back(absl::StrCat(percentile.label, " ",
                                 FormatLatency(latency.PercentileNanos(percentile.percent))));
  }
  parts.push_back(absl::StrCat("max ", FormatLatency(latency.max_nanos())));
  return absl::StrJoin(parts, "  ");
}

std::string DescribeServer(const ServerPeaks& server) {
  auto by_mode = [](const std::map<std::string, double>& values) {
    std::vector<std::string> parts;
    for (const auto& [mode, value] : values) parts.push_back(absl::StrCat(mode, " ", value));
    return parts.empty() ? std::string("n/a") : absl::StrJoin(parts, ", ");
  };
  std::string text = absl::StrCat(
      "max ", metrics::kInflightCalls, ": ", by_mode(server.inflight_calls), "; max ",
      metrics::kModeThreads, ": ", by_mode(server.mode_threads), "; max resident memory ",
      server.resident_memory_bytes ? FormatMebibytes(*server.resident_memory_bytes)
                                   : std::string("n/a"),
      " (", server.samples, " samples");
  if (server.failures > 0) absl::StrAppend(&text, ", ", server.failures, " failed");
  return absl::StrCat(text, ")");
}

const char* CodeName(int code) {
  return code >= 0 && code < static_cast<int>(metrics::kGoCodeNames.size())
             ? metrics::kGoCodeNames[code]
             : "Unknown";
}

void WriteLatencyJson(JsonWriter& json, const LatencyHistogram& latency, bool buckets) {
  json.BeginObject();
  json.Key("count").Int(latency.count());
  json.Key("min_ms").Double(Milliseconds(latency.min_nanos()));
  json.Key("mean_ms").Double(latency.mean_nanos() / 1e6);
  for (const ReportedPercentile& percentile : kReportedPercentiles) {
    json.Key(percentile.json_key).Double(Milliseconds(latency.PercentileNanos(percentile.percent)));
  }
  json.Key("max_ms").Double(Milliseconds(latency.max_nanos()));
  if (buckets) {
    // [low, high, count]: `count` calls took at least `low` and less than
    // `high` nanoseconds. Enough to compute any other quantile, or how many
    // calls were slower than some bound, to within 0.4 %.
    json.Key("buckets_ns").BeginArray();
    for (const LatencyHistogram::Bucket& bucket : latency.NonEmptyBuckets()) {
      json.BeginArray().Int(bucket.low_nanos).Int(bucket.high_nanos).Int(bucket.count).EndArray();
    }
    json.EndArray();
  }
  json.EndObject();
}

void WriteCodesJson(JsonWriter& json, const std::array<int64_t, kStatusCodes>& by_code) {
  json.BeginObject();
  for (int code = 0; code < kStatusCodes; ++code) {
    if (by_code[code] > 0) json.Key(CodeName(code)).Int(by_code[code]);
  }
  json.EndObject();
}

void WriteServerJson(JsonWriter& json, const ServerPeaks& server) {
  auto by_mode = [&json](const std::map<std::string, double>& values) {
    json.BeginObject();
    for (const auto& [mode, value] : values) json.Key(mode).Double(value);
    json.EndObject();
  };
  json.BeginObject();
  json.Key("max_inflight_calls");
  by_mode(server.inflight_calls);
  json.Key("max_mode_threads");
  by_mode(server.mode_threads);
  json.Key("max_resident_memory_bytes").Double(server.resident_memory_bytes);
  json.Key("samples").Int(server.samples);
  json.Key("failed_samples").Int(server.failures);
  json.EndObject();
}

void WriteSettingsJson(JsonWriter& json, const Options& options) {
  const LoadPlan& plan = options.plan;
  json.BeginObject();
  json.Key("target").String(options.target);
  json.Key("connections").Int(options.connections);
  // TLS costs handshakes and encryption: a result says whether it paid them
  // (never the token, only whether there was one).
  json.Key("security").String(options.security.Describe());
  json.Key("client_threads").Int(1);
  json.Key("loop").String(plan.loop == Loop::kClosed ? "closed" : "open");
  if (plan.loop == Loop::kClosed) {
    json.Key("concurrency").Int(plan.concurrency);
  } else {
    json.Key("rate").Double(plan.rate);
    json.Key("arrivals").String(plan.arrivals == Arrivals::kPoisson ? "poisson" : "constant");
    json.Key("max_outstanding").Int(plan.max_outstanding);
  }
  json.Key("warmup_seconds").Double(absl::ToDoubleSeconds(plan.warmup));
  if (plan.requests > 0) {
    json.Key("requests").Int(plan.requests);
  } else {
    json.Key("duration_seconds").Double(absl::ToDoubleSeconds(plan.duration));
  }
  json.Key("call_timeout_seconds").Double(absl::ToDoubleSeconds(plan.call_timeout));
  json.Key("mix").String(FormatMix(options.workload.mix));
  json.Key("accounts").Int(static_cast<int64_t>(options.workload.account_ids.size()));
  json.Key("account_prefix").String(options.accounts.prefix);
  json.Key("existing").Bool(options.accounts.existing);
  json.Key("seed").Int(static_cast<int64_t>(options.workload.seed));
  json.EndObject();
}

}  // namespace

std::string DescribeLoop(const LoadPlan& plan) {
  return plan.loop == Loop::kClosed
             ? absl::StrCat("closed loop, ", plan.concurrency, " calls in flight")
             : absl::StrCat("open loop, ", absl::StrFormat("%g", plan.rate), " calls/s (",
                            plan.arrivals == Arrivals::kPoisson ? "Poisson" : "constant",
                            " arrivals, latency from each call's due time)");
}

std::string DescribePlan(const LoadPlan& plan) {
  const std::string what = DescribeLoop(plan);
  const std::string amount = plan.requests > 0 ? absl::StrCat(plan.requests, " calls")
                                               : absl::FormatDuration(plan.duration);
  if (plan.warmup <= absl::ZeroDuration()) return absl::StrCat(what, ", ", amount, " measured");
  return absl::StrCat(what, ", ", amount, " measured after ", absl::FormatDuration(plan.warmup),
                      " of warmup");
}

std::string DescribeWorkload(const WorkloadOptions& workload) {
  return absl::StrCat("mix ", FormatMix(workload.mix), "; ", workload.account_ids.size(),
                      " accounts; seed ", workload.seed);
}

std::string FormatLatency(int64_t nanos) {
  if (nanos < 1'000) return absl::StrCat(nanos, " ns");
  if (nanos < 1'000'000) return absl::StrCat(ThreeDigits(nanos / 1e3), " us");
  if (nanos < 1'000'000'000) return absl::StrCat(ThreeDigits(nanos / 1e6), " ms");
  return absl::StrCat(ThreeDigits(nanos / 1e9), " s");
}

double Milliseconds(int64_t nanos) { return static_cast<double>(nanos) / 1e6; }

std::string FormatMebibytes(double bytes) {
  return absl::StrFormat("%.1f MiB", bytes / (1024.0 * 1024.0));
}

std::string FormatCodes(const std::array<int64_t, kStatusCodes>& by_code) {
  std::vector<std::string> parts;
  for (int code = 0; code < kStatusCodes; ++code) {
    if (by_code[code] > 0) parts.push_back(absl::StrCat(CodeName(code), " ", by_code[code]));
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

void WriteLedgerCheckJson(JsonWriter& json, const LedgerCheck& check) {
  json.BeginObject();
  json.Key("accounts").Int(check.accounts);
  json.Key("sum_before").Int(check.sum_before);
  json.Key("sum_after").Int(check.checked() ? std::optional(check.sum_after) : std::nullopt);
  json.Key("shared_accounts").Bool(check.shared_accounts);
  json.Key("checked").Bool(check.checked());
  if (!check.checked()) json.Key("error").String(check.error);
  json.Key("conserved").Bool(check.conserved());
  json.Key("passed").Bool(check.passed());
  json.EndObject();
}

std::string DescribeLedgerCheck(const LedgerCheck& check) {
  if (!check.checked()) {
    return absl::StrCat("NOT CHECKED: the balances after the run could not be read (", check.error,
                        ")");
  }
  if (check.conserved()) {
    return absl::StrCat(check.accounts, " accounts hold ", check.sum_before,
                        " before and after: money conserved");
  }
  return absl::StrCat(check.accounts, " accounts held ", check.sum_before, " before and hold ",
                      check.sum_after, " after (", check.sum_after > check.sum_before ? "+" : "",
                      check.sum_after - check.sum_before, "): ",
                      check.shared_accounts
                          ? "others moved money too (--shared_accounts), so this is no error"
                          : "MONEY NOT CONSERVED");
}

std::string RunSummaryText(const Options& options, const RunResult& result,
                           const LedgerCheck& check) {
  std::string text =
      absl::StrCat(DescribePlan(options.plan), "\n", "target      ", options.target, " over ",
                   options.connections, options.connections == 1 ? " connection" : " connections",
                   "; ", DescribeWorkload(options.workload), "\n");
  absl::StrAppend(&text, "calls       ", result.calls(), " measured (", result.warmup_calls,
                  " in warmup), ", result.errors(), " errors\n");
  absl::StrAppend(&text, "throughput  ", absl::StrFormat("%.1f", result.throughput()),
                  " calls/s\n");
  absl::StrAppend(&text, "latency     ", LatencyLine(result.latency), "\n");
  for (size_t kind = 0; kind < kOperationKinds; ++kind) {
    const OperationResult& operation = result.by_operation[kind];
    if (operation.latency.count() == 0) continue;
    absl::StrAppend(&text,
                    absl::StrFormat("  %-9s %d calls, %d errors; ", kOperationNames[kind],
                                    operation.latency.count(), operation.errors),
                    LatencyLine(operation.latency), "\n");
  }
  absl::StrAppend(&text, "status      ", FormatCodes(result.by_code), "\n");
  absl::StrAppend(&text, "in flight   at most ", result.peak_in_flight,
                  " calls (this client, one thread)\n");
  if (result.server) {
    absl::StrAppend(&text, "server      ", DescribeServer(*result.server), "\n");
  }
  absl::StrAppend(&text, "ledger      ", DescribeLedgerCheck(check), "\n");
  return text;
}

void WriteRunJson(JsonWriter& json, const RunResult& run, bool full) {
  json.Key("calls").Int(run.calls());
  json.Key("errors").Int(run.errors());
  if (full) {
    json.Key("warmup_calls").Int(run.warmup_calls);
    json.Key("window_seconds").Double(run.window_seconds);
    json.Key("completed_in_window").Int(run.completed_in_window);
  }
  json.Key("throughput").Double(run.throughput());
  json.Key("peak_in_flight").Int(run.peak_in_flight);
  json.Key("latency");
  WriteLatencyJson(json, run.latency, /*buckets=*/full);
  if (full) {
    json.Key("operations").BeginObject();
    for (size_t kind = 0; kind < kOperationKinds; ++kind) {
      const OperationResult& operation = run.by_operation[kind];
      json.Key(kOperationNames[kind]).BeginObject();
      json.Key("calls").Int(operation.latency.count());
      json.Key("errors").Int(operation.errors);
      json.Key("latency");
      WriteLatencyJson(json, operation.latency, /*buckets=*/false);
      json.EndObject();
    }
    json.EndObject();
  }
  json.Key("status_codes");
  WriteCodesJson(json, run.by_code);
  if (run.server) {
    json.Key("server");
    WriteServerJson(json, *run.server);
  }
}

std::string RunJson(const Options& options, const RunResult& result, const LedgerCheck& check) {
  JsonWriter json;
  json.BeginObject();
  json.Key("tool").String("ledger-load");
  json.Key("settings");
  WriteSettingsJson(json, options);
  WriteRunJson(json, result, /*full=*/true);
  json.Key("ledger_check");
  WriteLedgerCheckJson(json, check);
  json.EndObject();
  return json.Take();
}

}  // namespace ledger::load
