// Thread mode's calls that gRPC answers itself, before any handler of ours
// runs: a unary or server-streaming request that does not parse (INTERNAL),
// and calls refused past --max_threads (RESOURCE_EXHAUSTED, from the sync
// server's ResourceQuota). Under overload the latter are most of thread
// mode's refusals, and a dashboard that missed them would show an overloaded
// server as a healthy one. The handlers' wrapper measures every other call
// (CallMeasure); this server interceptor measures these the same way, so
// thread mode's grpc_server_* series count every call of the ledger service.
//
// It tells the two apart by the thread: a sync handler and the sending of
// its status run on one thread, so the wrapper marks the call as measured
// there (MarkMeasured) and the interceptor, sending the status, finds the
// mark. Coroutine mode runs without an interceptor, whose hooks on every
// batch of every call cost it a few µs per call: it parses its requests
// itself, and has no thread quota.
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "service/metrics/call_metrics.h"

namespace ledger::metrics {

// For grpc::ServerBuilder::experimental().SetInterceptorCreators of the
// thread-mode server; `metrics` outlives that server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> GrpcAnsweredCalls(
    CallMetrics& metrics);

// Says, on the thread that runs the call's handler, that a CallMeasure has
// measured the call of `context`.
void MarkMeasured(const grpc::ServerContextBase& context);

}  // namespace ledger::metrics
