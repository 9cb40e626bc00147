// Coroutine mode's handlers: each RPC is a Ledger coroutine awaited on the
// completion-queue thread its call arrived on.
#pragma once

#include "coro/completion_queue_threads.h"
#include "service/ledger/ledger.h"
#include "service/security/authenticator.h"
#include "service/serving/coroutine_service.h"
#include "service/serving/inflight_limit.h"

namespace ledger {

// Starts the accept loops. Call after the server is built and started;
// `service` must have been registered with its builder. Calls that
// `authenticator` refuses, and calls past `limit`, are refused.
void StartCoroutineHandlers(CoroutineService& service, coro::CompletionQueueThreads& queues,
                            Ledger& ledger, const security::Authenticator& authenticator,
                            InflightLimit& limit, int accepts_per_queue);

}  // namespace ledger
