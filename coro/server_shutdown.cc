#include "coro/server_shutdown.h"

#include <grpc/grpc.h>

#include <thread>

namespace coro {

void ShutdownServer(grpc::Server& server, absl::Time deadline,
                    absl::FunctionRef<bool(absl::Time)> wait_until_idle) {
  // Server::Shutdown blocks until the deadline while any connection is open,
  // so it runs beside us while we watch our own calls.
  std::thread stopping([&server, deadline] { server.Shutdown(absl::ToChronoTime(deadline)); });
  if (wait_until_idle(deadline)) {
    // No call of ours is left: disconnect idle clients instead of waiting
    // for them to hang up. (Cancels calls of gRPC's own services too, such as
    // a health Watch, which clients expect to end at shutdown.)
    grpc_server_cancel_all_calls(server.c_server());
  }
  stopping.join();
}

void ShutdownServer(grpc::Server& server, CompletionQueueThreads& queues, absl::Time deadline) {
  // Once Shutdown has begun, the accept loops end (their requests fail), so
  // the queues' remaining work is exactly the calls in flight.
  ShutdownServer(server, deadline,
                 [&queues](absl::Time deadline) { return queues.WaitUntilIdle(deadline); });
  queues.Shutdown();
}

}  // namespace coro
