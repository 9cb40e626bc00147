// ledger-server: the ledger over gRPC, served by coroutines on a few
// completion-queue threads.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coro/completion_queue_threads.h"
#include "coro/serve.h"
#include "coro/server_shutdown.h"
#include "coro/thread_pool.h"
#include "service/coroutine_service.h"
#include "service/defaults.h"
#include "service/ledger.h"
#include "service/log.h"
#include "service/memory_store.h"

ABSL_FLAG(std::string, host, ledger::kDefaultHost,
          "Address to listen on: [::] for every interface, 127.0.0.1 for this machine only.");
ABSL_FLAG(int, port, ledger::kDefaultPort,
          "gRPC port of the coroutine server. 0 picks a free port; the startup line says which.");
ABSL_FLAG(int, threads, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
          "Completion-queue threads, each serving many calls. Default: one per core.");
ABSL_FLAG(int, workers, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
          "Worker threads for CPU-bound work (Audit's hashing), kept off the completion-queue "
          "threads. Default: one per core.");
ABSL_FLAG(int, accepts_per_thread, coro::kDefaultAcceptsPerQueue,
          "Calls of each method that each thread stands ready to accept at once, so a burst "
          "of new calls is not serialized behind one accept.");
ABSL_FLAG(absl::Duration, store_latency, ledger::kDefaultStoreLatency,
          "Simulated I/O latency of every call to the embedded store, e.g. 1ms, 250us, 0.");
ABSL_FLAG(absl::Duration, shutdown_timeout, ledger::kDefaultShutdownTimeout,
          "On SIGTERM or SIGINT, how long in-flight calls may take to finish before they are "
          "cancelled.");

namespace ledger {
namespace {

// Validates flags a user can get wrong; the message says which and why.
bool FlagsAreValid() {
  bool valid = true;
  auto complain = [&valid](const std::string& message) {
    Log("invalid flag: %s", message);
    valid = false;
  };
  if (int port = absl::GetFlag(FLAGS_port); port < 0 || port > 65535) {
    complain(absl::StrCat("--port=", port, " is not a TCP port (0 to 65535)"));
  }
  if (int threads = absl::GetFlag(FLAGS_threads); threads < 1 || threads > 1024) {
    complain(absl::StrCat("--threads=", threads, " must be 1 to 1024"));
  }
  if (int workers = absl::GetFlag(FLAGS_workers); workers < 1 || workers > 1024) {
    complain(absl::StrCat("--workers=", workers, " must be 1 to 1024"));
  }
  if (int accepts = absl::GetFlag(FLAGS_accepts_per_thread); accepts < 1 || accepts > 1024) {
    complain(absl::StrCat("--accepts_per_thread=", accepts, " must be 1 to 1024"));
  }
  if (absl::GetFlag(FLAGS_store_latency) < absl::ZeroDuration()) {
    complain("--store_latency must not be negative");
  }
  if (absl::GetFlag(FLAGS_shutdown_timeout) < absl::ZeroDuration()) {
    complain("--shutdown_timeout must not be negative");
  }
  return valid;
}

// Blocks SIGINT and SIGTERM in this thread and in every thread created after
// it, so that WaitForShutdownSignal() is the only place they arrive.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int WaitForShutdownSignal(const sigset_t& signals) {
  int signal = 0;
  sigwait(&signals, &signal);
  return signal;
}

int Run() {
  const sigset_t shutdown_signals = BlockShutdownSignals();
  const int threads = absl::GetFlag(FLAGS_threads);
  const absl::Duration store_latency = absl::GetFlag(FLAGS_store_latency);

  const int workers = absl::GetFlag(FLAGS_workers);
  MemoryStore store(store_latency);
  coro::ThreadPool worker_pool(workers);
  Ledger ledger(store, worker_pool);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address =
      absl::StrCat(absl::GetFlag(FLAGS_host), ":", absl::GetFlag(FLAGS_port));
  int bound_port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &bound_port);
  v1::Ledger::AsyncService service;
  builder.RegisterService(&service);
  // Declared before the server, so the server is destroyed first.
  coro::CompletionQueueThreads queues(builder, threads);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    Log("cannot listen on %s (is the port in use or the address wrong?)", address);
    return EXIT_FAILURE;
  }
  ServeWithCoroutines(service, queues, ledger, absl::GetFlag(FLAGS_accepts_per_thread));
  queues.Start();
  Log("coroutine mode listening on %s:%d (threads=%d, workers=%d, store=memory, "
      "store_latency=%s)",
      absl::GetFlag(FLAGS_host), bound_port, threads, workers,
      absl::FormatDuration(store_latency));

  const int signal = WaitForShutdownSignal(shutdown_signals);
  const absl::Duration timeout = absl::GetFlag(FLAGS_shutdown_timeout);
  Log("%s received: finishing in-flight calls (at most %s), then exiting", strsignal(signal),
      absl::FormatDuration(timeout));
  coro::ShutdownServer(*server, queues, absl::Now() + timeout);
  Log("stopped");
  return EXIT_SUCCESS;
}

}  // namespace
}  // namespace ledger

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves the ledger over gRPC (ledger.v1.Ledger, grpc.health.v1, server reflection).\n"
      "Usage: ledger-server [--flag=value ...]; --help lists every flag with its default.");
  // --help lists this program's own flags, not those of the libraries.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "service/main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  if (!ledger::FlagsAreValid()) return 2;
  return ledger::Run();
}
