#include "service/metrics/server_metrics.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "contract/metric_names.h"
#include "coro/frame_counter.h"

namespace ledger::metrics {
namespace {

// In civetweb's listening_ports syntax, "+port" is every interface. Debian's
// civetweb is built without IPv6, so that means every IPv4 interface, and an
// IPv6 host such as [::1] fails with a message saying so.
std::string ListeningPort(const std::string& host, int port) {
  if (host == "[::]" || host == "0.0.0.0") return absl::StrCat("+", port);
  return absl::StrCat(host, ":", port);
}

}  // namespace

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      call_families_(*registry_),
      store_seconds_(std::make_shared<HistogramFamily>(
          kStoreOperationSeconds, "Latency of store operations (seconds), by operation.")),
      pool_wait_seconds_(std::make_shared<HistogramFamily>(
          kPostgresPoolWaitSeconds,
          "Time a call waited for a free PostgreSQL connection (seconds).")),
      gauges_(std::make_shared<ScrapeGauges>()),
      process_(std::make_shared<ProcessMetrics>()) {
  gauges_->Add(kCoroutineFrames, "Live coroutine frames: calls and the operations they wait on.",
               {}, [] { return static_cast<double>(coro::LiveCoroutineFrames()); });
  gauges_->Add(kCoroutineFrameBytes, "Bytes held by the live coroutine frames.", {},
               [] { return static_cast<double>(coro::LiveCoroutineFrameBytes()); });
}

ServerMetrics::~ServerMetrics() = default;

CallMetrics& ServerMetrics::AddCallSeries(ServingMode mode) {
  return *calls_.emplace_back(std::make_unique<CallMetrics>(mode, call_families_, failed_calls_));
}

void ServerMetrics::AddModeGauges(ServingMode mode, std::function<double()> inflight_calls,
                                  std::function<double()> threads) {
  gauges_->Add(kInflightCalls, "Calls in flight: accepted and not yet finished.",
               {{"mode", ModeName(mode)}}, std::move(inflight_calls));
  gauges_->Add(kModeThreads,
               "Threads serving the mode now: completion-queue and worker threads for "
               "coroutine, live request threads for thread.",
               {{"mode", ModeName(mode)}}, std::move(threads));
}

void ServerMetrics::AddPoolGauges(ServingMode mode, std::function<double()> in_use,
                                  std::function<double()> idle) {
  constexpr char kHelp[] =
      "PostgreSQL connections of the mode's pool: in_use (leased to a call) "
      "and idle.";
  gauges_->Add(kPostgresPoolConnections, kHelp, {{"mode", ModeName(mode)}, {"state", "in_use"}},
               std::move(in_use));
  gauges_->Add(kPostgresPoolConnections, kHelp, {{"mode", ModeName(mode)}, {"state", "idle"}},
               std::move(idle));
}

absl::StatusOr<int> ServerMetrics::Serve(const std::string& host, int port) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(ListeningPort(host, port));
  } catch (const std::exception& error) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", host, ":", port, ": ", error.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(call_families_.handling_seconds);
  exposer_->RegisterCollectable(store_seconds_);
  exposer_->RegisterCollectable(pool_wait_seconds_);
  exposer_->RegisterCollectable(gauges_);
  exposer_->RegisterCollectable(process_);
  const std::vector<int> ports = exposer_->GetListeningPorts();
  if (ports.empty()) return absl::UnavailableError("the metrics endpoint listens on no port");
  return ports.front();
}

}  // namespace ledger::metrics
