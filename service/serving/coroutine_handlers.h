// Coroutine mode's handlers: each RPC is a Ledger coroutine awaited on the
// completion-queue thread its call arrived on.
#pragma once

#include "coro/completion_queue_threads.h"
#include "service/ledger/ledger.h"
#include "service/metrics/call_metrics.h"
#include "service/security/authenticator.h"
#include "service/serving/coroutine_service.h"
#include "service/serving/inflight_limit.h"

namespace ledger {

// Starts the accept loops. Call after the server is built and started;
// `service` must have been registered with its builder. Calls that
// `authenticator` refuses, and calls past `limit`, are refused. Every call
// that reaches a handler is counted in `metrics` (call_metrics.h says what
// that leaves out), refused ones too.
void StartCoroutineHandlers(CoroutineService& service, coro::CompletionQueueThreads& queues,
                            Ledger& ledger, const security::Authenticator& authenticator,
                            InflightLimit& limit, metrics::CallMetrics& metrics,
                            int accepts_per_queue);

}  // namespace ledger
