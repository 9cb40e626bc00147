// coroutine_layer_server: the coroutine layer alone, for telling what coro/
// costs per call apart from what the rest of ledger-server's coroutine mode
// costs. The same three methods from the same BaselineLedger as
// handwritten_cq_server, each served by coro::Serve with a handler that
// answers at once, on --threads completion-queue threads of
// coro::CompletionQueueThreads, 16 accepts ahead per method and queue (as the
// hand-written server and ledger-server's default). Nothing of service/: no
// call metrics, in-flight limit, health or reflection service, auth or
// logs. Built only for tests/bench/cpu_per_call.py (`make bench-cpu`).
//
// What coro::Serve spends per call beyond the hand-written state machine is
// kept, because it is the layer's cost: the call's Detached coroutine frame,
// the handler's Task frame and Finish's; a CallContext whose std::stop_source
// allocates its shared state; the done tag (AsyncNotifyWhenDone) registered
// before every accept, one more completion per call that the call's coroutine
// awaits before its frame goes; a KeepAlive copied per call (an atomic count);
// and the try/catch around the handler.
//
// The other four methods are async too, as in coroutine mode, each served by
// coro::Serve with a handler that answers UNIMPLEMENTED: coro's queue threads
// take only coro tags, so a generic service's hand-made tags have no place on
// them, and a synchronous method would start gRPC's sync thread pool.
//
// Usage: coroutine_layer_server --port=50063 [--threads=1] [--host=127.0.0.1]

#include <cstdio>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coro/call_context.h"
#include "coro/completion_queue_threads.h"
#include "coro/serve.h"
#include "coro/server_shutdown.h"
#include "coro/task.h"
#include "grpcpp/grpcpp.h"
#include "ledger/v1/ledger.grpc.pb.h"
#include "tests/bench/baseline/baseline_ledger.h"
#include "tests/bench/baseline/yardstick_process.h"

namespace ledger::baseline {
namespace {

using Service = v1::Ledger::AsyncService;

// As handwritten_cq_server's kRequestedPerMethod, so both take a burst alike.
constexpr int kAcceptsPerMethod = 16;

// A handler that calls the ledger method kHandle and returns its status; the
// ledger never waits, so the Task completes without suspending.
template <auto kHandle>
struct Answer {
  BaselineLedger* ledger;

  template <typename Request, typename Reply>
  coro::Task<grpc::Status> operator()(coro::CallContext&, const Request& request,
                                      Reply& reply) const {
    co_return (ledger->*kHandle)(request, &reply);
  }
};

// For the methods not served here, whatever the kind of call.
struct Unimplemented {
  template <typename... Args>
  coro::Task<grpc::Status> operator()(coro::CallContext&, Args&...) const {
    co_return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                           "not served by the coroutine layer server");
  }
};

void ServeAll(Service& service, coro::CompletionQueueThreads& queues, BaselineLedger& ledger) {
  coro::Serve<&Service::RequestOpenAccount>(
      service, queues, Answer<&BaselineLedger::OpenAccount>{&ledger}, kAcceptsPerMethod);
  coro::Serve<&Service::RequestGetAccount>(
      service, queues, Answer<&BaselineLedger::GetAccount>{&ledger}, kAcceptsPerMethod);
  coro::Serve<&Service::RequestTransfer>(
      service, queues, Answer<&BaselineLedger::Transfer>{&ledger}, kAcceptsPerMethod);
  // One accept each is enough for calls that are only turned away.
  coro::Serve<&Service::RequestListTransfers>(service, queues, Unimplemented{}, 1);
  coro::Serve<&Service::RequestImportTransfers>(service, queues, Unimplemented{}, 1);
  coro::Serve<&Service::RequestTransferStream>(service, queues, Unimplemented{}, 1);
  coro::Serve<&Service::RequestAudit>(service, queues, Unimplemented{}, 1);
}

int Run(int argc, char** argv) {
  YardstickFlags flags;
  flags.port = 50063;
  if (!ParseYardstickFlags(argc, argv, {.threads = true},
                           "coroutine_layer_server [--port=50063] [--threads=1 "
                           "completion-queue threads] [--host=127.0.0.1]",
                           flags)) {
    return 2;
  }
  const sigset_t stop_signals = PrepareYardstickProcess();

  // Declared before the server, so the server goes first (coro/README.md).
  Service service;
  BaselineLedger ledger;
  grpc::ServerBuilder builder;
  const std::string address = flags.host + ":" + std::to_string(flags.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  coro::CompletionQueueThreads queues(builder, flags.threads);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "coroutine_layer_server: cannot listen on %s\n", address.c_str());
    return 1;
  }
  ServeAll(service, queues, ledger);
  queues.Start();
  std::fprintf(stderr, "coroutine_layer_server: serving on %s with %d completion-queue thread(s)\n",
               address.c_str(), flags.threads);

  WaitForStopSignal(stop_signals);
  // Every call ends as soon as it is answered, so a short deadline is plenty.
  coro::ShutdownServer(*server, queues, absl::Now() + absl::Seconds(5));
  return 0;
}

}  // namespace
}  // namespace ledger::baseline

int main(int argc, char** argv) { return ledger::baseline::Run(argc, argv); }
