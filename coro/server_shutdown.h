// ShutdownServer: the order in which a server stops (coro/README.md).
#pragma once

#include <grpcpp/server.h>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "coro/completion_queue_threads.h"

namespace coro {

// Stops accepting calls, lets the calls in flight finish until `deadline`
// (then cancels the rest). `wait_until_idle(deadline)` says, once it returns
// true, that no call of ours is left: gRPC's Server::Shutdown would still wait,
// up to the deadline, for clients to hang up connections that are merely
// idle, so those are then dropped at once. Returns when the server has stopped.
void ShutdownServer(grpc::Server& server, absl::Time deadline,
                    absl::FunctionRef<bool(absl::Time)> wait_until_idle);

// The same for a server whose calls run on `queues`, which are stopped too,
// once no coroutine can start an operation on them any more.
void ShutdownServer(grpc::Server& server, CompletionQueueThreads& queues, absl::Time deadline);

}  // namespace coro
