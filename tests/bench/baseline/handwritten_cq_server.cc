// handwritten_cq_server: the yardstick for what ledger-server's coroutine layer
// and ledger code cost per call. A minimal server, not a product: the classic
// hand-written gRPC async completion-queue state machine (one CallData class
// per RPC kind, the object's address as the tag, a state enum), written from
// gRPC's documented async API and nothing of coro/ or service/, serving
// ledger.v1.Ledger's OpenAccount, GetAccount and Transfer from a map behind a
// mutex (baseline_ledger.h). Built as handwritten_on_store_server, it serves
// them from the product's own embedded store instead (store_ledger.h), whose
// coroutine calls bring coro/ in. The other four methods reach a generic
// service that answers UNIMPLEMENTED. No TLS, auth, metrics, deadlines or
// graceful drain. Built only for tests/bench/cpu_per_call.py (`make bench-cpu`).
//
// Usage: handwritten_cq_server --port=50061 [--threads=1] [--host=127.0.0.1] [--hold_ms=0]
//
// --hold_ms=N makes every unary call wait N ms on a grpc::Alarm before it is
// answered, the way a call waits for a database, so that tests/bench/
// memory_per_call.py can measure what gRPC itself holds per waiting call.

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "ledger/v1/ledger.grpc.pb.h"
#ifdef HANDWRITTEN_ON_MEMORY_STORE
#include "tests/bench/baseline/store_ledger.h"
#else
#include "tests/bench/baseline/baseline_ledger.h"
#endif
#include "tests/bench/baseline/yardstick_process.h"

namespace ledger::baseline {
namespace {

using v1::Ledger;

#ifdef HANDWRITTEN_ON_MEMORY_STORE
using YardstickLedger = StoreLedger;
#else
using YardstickLedger = BaselineLedger;
#endif

// Only these three are served; the generic marking hands the rest to the
// generic service instead of serving them synchronously, which would start
// gRPC's sync thread pool beside ours.
using Service = Ledger::WithAsyncMethod_OpenAccount<Ledger::WithAsyncMethod_GetAccount<
    Ledger::WithAsyncMethod_Transfer<Ledger::WithGenericMethod_ListTransfers<
        Ledger::WithGenericMethod_ImportTransfers<Ledger::WithGenericMethod_TransferStream<
            Ledger::WithGenericMethod_Audit<Ledger::Service>>>>>>>;

// Each call of each method this many times per queue is requested ahead, as
// ledger-server's default --accepts_per_thread, so both take a burst of new
// calls alike.
constexpr int kRequestedPerMethod = 16;

// --hold_ms: set once before any queue thread starts, read-only after.
std::chrono::milliseconds hold_for{0};

// Every tag on a queue is a CallData, so a queue thread needs no lookup.
class CallData {
 public:
  virtual ~CallData() = default;
  virtual void Proceed(bool ok) = 0;
};

// One unary method: requested, then answered, then deleted. kRequest is the
// generated RequestX member, kHandle the YardstickLedger method that answers.
template <typename Request, typename Reply, auto kRequest, auto kHandle>
class UnaryCallData final : public CallData {
 public:
  UnaryCallData(Service& service, grpc::ServerCompletionQueue& queue, YardstickLedger& ledger)
      : service_(service), queue_(queue), ledger_(ledger), responder_(&context_) {
    (service_.*kRequest)(&context_, &request_, &responder_, &queue_, &queue_, this);
  }

  void Proceed(bool ok) override {
    if (state_ == State::kRequested && ok) {
      // Stand ready for the next call of this method before serving this one.
      new UnaryCallData(service_, queue_, ledger_);
      if (hold_for.count() > 0) {
        state_ = State::kHolding;
        alarm_.emplace().Set(&queue_, std::chrono::system_clock::now() + hold_for, this);
        return;
      }
      Answer();
      return;
    }
    if (state_ == State::kHolding) {
      Answer();
      return;
    }
    // Finished (sent or the client left), or a request cut short by shutdown.
    delete this;
  }

 private:
  enum class State { kRequested, kHolding, kFinishing };

  void Answer() {
    state_ = State::kFinishing;
    const grpc::Status status = (ledger_.*kHandle)(request_, &reply_);
    if (status.ok()) {
      responder_.Finish(reply_, status, this);
    } else {
      responder_.FinishWithError(status, this);
    }
  }

  Service& service_;
  grpc::ServerCompletionQueue& queue_;
  YardstickLedger& ledger_;
  grpc::ServerContext context_;
  Request request_;
  Reply reply_;
  grpc::ServerAsyncResponseWriter<Reply> responder_;
  // Only with --hold_ms: constructing an alarm allocates, which the CPU
  // comparison should not pay for.
  std::optional<grpc::Alarm> alarm_;
  State state_ = State::kRequested;
};

// The methods this server does not serve, and any unknown one.
class UnimplementedCallData final : public CallData {
 public:
  UnimplementedCallData(grpc::AsyncGenericService& service, grpc::ServerCompletionQueue& queue)
      : service_(service), queue_(queue), stream_(&context_) {
    service_.RequestCall(&context_, &stream_, &queue_, &queue_, this);
  }

  void Proceed(bool ok) override {
    if (!finishing_ && ok) {
      new UnimplementedCallData(service_, queue_);
      finishing_ = true;
      stream_.Finish(
          grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "not served by the baseline server"), this);
      return;
    }
    delete this;
  }

 private:
  grpc::AsyncGenericService& service_;
  grpc::ServerCompletionQueue& queue_;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  bool finishing_ = false;
};

using OpenAccountCall = UnaryCallData<v1::OpenAccountRequest, v1::Account,
                                      &Service::RequestOpenAccount, &YardstickLedger::OpenAccount>;
using GetAccountCall = UnaryCallData<v1::GetAccountRequest, v1::Account,
                                     &Service::RequestGetAccount, &YardstickLedger::GetAccount>;
using TransferCall = UnaryCallData<v1::TransferRequest, v1::TransferReceipt,
                                   &Service::RequestTransfer, &YardstickLedger::Transfer>;

void ServeQueue(Service& service, grpc::AsyncGenericService& unimplemented,
                grpc::ServerCompletionQueue& queue, YardstickLedger& ledger) {
  new UnimplementedCallData(unimplemented, queue);
  for (int i = 0; i < kRequestedPerMethod; ++i) {
    new OpenAccountCall(service, queue, ledger);
    new GetAccountCall(service, queue, ledger);
    new TransferCall(service, queue, ledger);
  }
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) static_cast<CallData*>(tag)->Proceed(ok);
}

int Run(int argc, char** argv) {
  YardstickFlags flags;
  flags.port = 50061;
  if (!ParseYardstickFlags(argc, argv, {.threads = true, .hold_ms = true},
                           "handwritten_cq_server [--port=50061] [--threads=1 completion-queue "
                           "threads] [--host=127.0.0.1] [--hold_ms=0 each unary call waits this "
                           "long before it is answered; a held call delays shutdown until it is]",
                           flags)) {
    return 2;
  }
  hold_for = std::chrono::milliseconds(flags.hold_ms);
  const sigset_t stop_signals = PrepareYardstickProcess();

  Service service;
  grpc::AsyncGenericService unimplemented;
  YardstickLedger ledger;
  grpc::ServerBuilder builder;
  const std::string address = flags.host + ":" + std::to_string(flags.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  builder.RegisterAsyncGenericService(&unimplemented);
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues;
  for (int i = 0; i < flags.threads; ++i) queues.push_back(builder.AddCompletionQueue());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::fprintf(stderr, "handwritten_cq_server: cannot listen on %s\n", address.c_str());
    return 1;
  }
  std::vector<std::thread> threads;
  for (auto& queue : queues) {
    threads.emplace_back([&service, &unimplemented, &ledger, queue = queue.get()] {
      ServeQueue(service, unimplemented, *queue, ledger);
    });
  }
  std::fprintf(stderr, "handwritten_cq_server: serving on %s with %d completion-queue thread(s)\n",
               address.c_str(), flags.threads);

  WaitForStopSignal(stop_signals);
  // Shutdown first, so no new call arrives; then the queues, whose threads
  // delete the calls still requested as their tags come back not ok.
  server->Shutdown();
  for (auto& queue : queues) queue->Shutdown();
  for (std::thread& thread : threads) thread.join();
  return 0;
}

}  // namespace
}  // namespace ledger::baseline

int main(int argc, char** argv) { return ledger::baseline::Run(argc, argv); }
