// ShutdownServer: the order in which a coroutine server stops (coro/README.md).
#pragma once

#include <grpcpp/server.h>

#include "absl/time/time.h"
#include "coro/completion_queue_threads.h"

namespace coro {

// Stops accepting calls, lets the calls in flight finish until `deadline`
// (then cancels the rest), and stops `queues` once no coroutine can start an
// operation on them any more. Returns when everything has stopped.
//
// gRPC's Server::Shutdown also waits, up to the deadline, for clients to hang
// up connections that are merely idle; once our own calls are done, there is
// nothing to wait for, so those connections are dropped at once.
void ShutdownServer(grpc::Server& server, CompletionQueueThreads& queues, absl::Time deadline);

}  // namespace coro
