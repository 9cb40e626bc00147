#include "coro/server_shutdown.h"

#include <grpc/grpc.h>

#include <thread>

namespace coro {

void ShutdownServer(grpc::Server& server, CompletionQueueThreads& queues, absl::Time deadline) {
  // Server::Shutdown blocks until the deadline while any connection is open,
  // so it runs beside us while we watch our own calls.
  std::thread stopping([&server, deadline] { server.Shutdown(absl::ToChronoTime(deadline)); });
  // Once Shutdown has begun, the accept loops end (their requests fail), so
  // the queues' remaining work is exactly the calls in flight.
  if (queues.WaitUntilIdle(deadline)) {
    // No call of ours is left: disconnect idle clients instead of waiting
    // for them to hang up. (Cancels calls of gRPC's own services too, such as
    // a health Watch, which clients expect to end at shutdown.)
    grpc_server_cancel_all_calls(server.c_server());
  }
  stopping.join();
  queues.Shutdown();
}

}  // namespace coro
