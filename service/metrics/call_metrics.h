// The grpc_server_* series of one serving mode, for every method of
// ledger.v1.Ledger, all created at zero at start-up so dashboards show lines
// before the first call. Each mode's serving layer counts its calls itself,
// through the same CallMeasure at the same points of a call: the wrapper
// that every handler runs in (Admitted, in coroutine_handlers.cc and
// thread_handlers.cc) starts it when it is entered, before the caller is
// authenticated, and finishes it with the status the call ends with; the
// read and write functions of the stream handlers count each message. A
// call that the server failed also gets its line in the FailedCallLog there.
//
// What is counted: every call of ledger.v1.Ledger that reaches the wrapper,
// whatever ends it: a refusal (UNAUTHENTICATED, RESOURCE_EXHAUSTED past
// --max_inflight), the Ledger's answer, a handler that threw (INTERNAL).
// Messages received: a unary or server-streaming call's one request (read
// before the wrapper runs), and each message a stream handler
// reads, a message that then does not parse included (the end of the stream
// is no message). Messages sent: a unary or client-streaming call's one
// response, which goes out only when the call ends OK, and each message a
// stream handler writes, counted as its write starts.
//
// Calls that gRPC ends before any of our code runs. In thread mode, gRPC's
// sync server answers some itself: a request that does not parse (INTERNAL)
// and calls past --max_threads (RESOURCE_EXHAUSTED); a server interceptor
// counts and logs those. Coroutine mode has no such calls: its methods are
// raw and parse their requests in the wrapper (coroutine_service.h). In
// neither mode: a request larger than --max_message_bytes
// (RESOURCE_EXHAUSTED), a method the server does not have (UNIMPLEMENTED),
// calls of the other services on the port (health, reflection).
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "contract/metric_names.h"
#include "contract/serving_mode.h"
#include "service/metrics/failed_call_log.h"
#include "service/metrics/striped_histogram.h"

namespace ledger::metrics {

// The families, one per process, that every mode adds its series to.
struct CallFamilies {
  explicit CallFamilies(prometheus::Registry& registry);

  prometheus::Family<prometheus::Counter>& started;
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Counter>& msg_received;
  prometheus::Family<prometheus::Counter>& msg_sent;
  std::shared_ptr<HistogramFamily> handling_seconds;
};

class CallMetrics {
 public:
  // Calls that the server failed are written to `failed_calls`.
  CallMetrics(ServingMode mode, CallFamilies& families, FailedCallLog& failed_calls);
  CallMetrics(const CallMetrics&) = delete;
  CallMetrics& operator=(const CallMetrics&) = delete;

  // References into the families, resolved once: a call only increments.
  struct MethodSeries {
    prometheus::Counter* started;
    prometheus::Counter* msg_received;
    prometheus::Counter* msg_sent;
    std::array<prometheus::Counter*, kGoCodeNames.size()> handled;  // by status code
    StripedHistogram* handling_seconds;
    // What a CallMeasure needs to know of the method besides its series.
    std::string path;        // "/ledger.v1.Ledger/Transfer", for the log
    bool streams_requests;   // client and bidi streams
    bool streams_responses;  // server and bidi streams
  };
  // The series of a method by its gRPC path ("/ledger.v1.Ledger/Transfer"),
  // or null for a method of another service.
  MethodSeries* Find(absl::string_view path);
  // The series of the ledger.v1.Ledger method `name` ("Transfer"), for a
  // handler to resolve once when it is registered; a name the service does
  // not have is a bug, and aborts.
  MethodSeries& Method(absl::string_view name);

  ServingMode mode() const { return mode_; }
  FailedCallLog& failed_calls() { return failed_calls_; }

 private:
  const ServingMode mode_;
  FailedCallLog& failed_calls_;
  absl::flat_hash_map<std::string, MethodSeries> methods_;  // read-only once built
};

// One call's measure, from the moment it reaches the serving layer's wrapper
// to the status it ends with. Allocates nothing, unless the call failed and
// is logged.
class CallMeasure {
 public:
  // Counts the call started now, and the request of a unary or
  // server-streaming call received. `metrics` and `series` outlive it.
  CallMeasure(CallMetrics& metrics, CallMetrics::MethodSeries& series,
              std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now());
  CallMeasure(const CallMeasure&) = delete;
  CallMeasure& operator=(const CallMeasure&) = delete;

  // A stream handler read (wrote) a message on the call. Thread-safe.
  void Received() { series_.msg_received->Increment(); }
  void Sent() { series_.msg_sent->Increment(); }

  // Once, with the status the call ends with: counts it handled under that
  // code, its time since the start, and the response of a unary or
  // client-streaming call sent if the status is OK (none is sent
  // otherwise). If the server failed the call, writes its line in the
  // FailedCallLog with its peer and `detail`, what only the log may know
  // (HandlerThrew's exception).
  void Finish(const grpc::Status& status, const grpc::ServerContextBase& context,
              absl::string_view detail);

 private:
  CallMetrics& metrics_;
  CallMetrics::MethodSeries& series_;
  const std::chrono::steady_clock::time_point start_;
};

}  // namespace ledger::metrics
