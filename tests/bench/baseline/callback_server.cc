// callback_server: a second yardstick beside handwritten_cq_server, for what
// gRPC's own callback API costs per call. Written from gRPC's documented
// callback API (reactors) and nothing of coro/ or service/, it serves
// ledger.v1.Ledger's OpenAccount, GetAccount and Transfer from the same
// BaselineLedger as the hand-written server: each handler answers at once
// through the call's default reactor. The other four methods keep the
// generated callback defaults, which answer UNIMPLEMENTED; no method is
// synchronous, so gRPC starts no sync thread pool. No TLS, auth, metrics,
// deadlines or graceful drain. Built only for tests/bench/cpu_per_call.py
// (`make bench-cpu`).
//
// Threads: there is no --threads, because the callback API runs handlers on
// threads of gRPC's own. gRPC 1.51 on Linux polls its callback queue with
// clamp(cores / 2, 2, 16) threads ("nexting_thread" in `ps -T`: 2 on a 2-core
// machine), beside the executor, resolver, timer and event-engine threads
// every gRPC server process has; none of a sync thread pool appears.
//
// Usage: callback_server --port=50062 [--host=127.0.0.1]

#include <cstdio>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "ledger/v1/ledger.grpc.pb.h"
#include "tests/bench/baseline/baseline_ledger.h"
#include "tests/bench/baseline/yardstick_process.h"

namespace ledger::baseline {
namespace {

using v1::Ledger;

// Every method is a callback method. The four not overridden below return no
// reactor, which gRPC answers with UNIMPLEMENTED.
class CallbackLedgerService final : public Ledger::CallbackService {
 public:
  explicit CallbackLedgerService(BaselineLedger& ledger) : ledger_(ledger) {}

  grpc::ServerUnaryReactor* OpenAccount(grpc::CallbackServerContext* context,
                                        const v1::OpenAccountRequest* request,
                                        v1::Account* reply) override {
    return Answer(context, ledger_.OpenAccount(*request, reply));
  }

  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* context,
                                       const v1::GetAccountRequest* request,
                                       v1::Account* reply) override {
    return Answer(context, ledger_.GetAccount(*request, reply));
  }

  grpc::ServerUnaryReactor* Transfer(grpc::CallbackServerContext* context,
                                     const v1::TransferRequest* request,
                                     v1::TransferReceipt* reply) override {
    return Answer(context, ledger_.Transfer(*request, reply));
  }

 private:
  // The ledger answers without waiting, so the call ends inside the handler:
  // the default reactor needs no allocation of ours.
  static grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context,
                                          const grpc::Status& status) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  BaselineLedger& ledger_;
};

int Run(int argc, char** argv) {
  YardstickFlags flags;
  flags.port = 50062;
  if (!ParseYardstickFlags(argc, argv, {},
                           "callback_server [--port=50062] [--host=127.0.0.1] (no --threads: "
                           "the callback API runs handlers on gRPC's own threads)",
                           flags)) {
    return 2;
  }
  const sigset_t stop_signals = PrepareYardstickProcess();

  BaselineLedger ledger;
  CallbackLedgerService service(ledger);
  grpc::ServerBuilder builder;
  const std::string address = flags.host + ":" + std::to_string(flags.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "callback_server: cannot listen on %s\n", address.c_str());
    return 1;
  }
  std::fprintf(stderr, "callback_server: serving on %s on gRPC's callback threads\n",
               address.c_str());

  WaitForStopSignal(stop_signals);
  // Every handler finishes its call before it returns, so Shutdown waits for
  // nothing of ours.
  server->Shutdown();
  return 0;
}

}  // namespace
}  // namespace ledger::baseline

int main(int argc, char** argv) { return ledger::baseline::Run(argc, argv); }
