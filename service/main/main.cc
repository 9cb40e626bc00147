// ledger-server: the ledger over gRPC, served by coroutines on a few
// completion-queue threads, by one thread per call, or both side by side on
// the same store.
#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "contract/serving_mode.h"
#include "coro/serve.h"
#include "coro/thread_pool.h"
#include "logging/log.h"
#include "service/ledger/ledger.h"
#include "service/main/database_health_watch.h"
#include "service/main/defaults.h"
#include "service/main/log_flags.h"
#include "service/main/mode_stores.h"
#include "service/main/protobuf_log.h"
#include "service/main/server_security.h"
#include "service/metrics/server_metrics.h"
#include "service/serving/connection_limits.h"
#include "service/serving/coroutine_server.h"
#include "service/serving/health_server.h"
#include "service/serving/thread_server.h"
#include "service/stores/postgres/connection_options.h"
#include "service/stores/postgres/database.h"

ABSL_FLAG(std::string, mode, ledger::kDefaultMode,
          "How calls wait: coroutine (port --port), thread (one thread per call, port "
          "--thread_port), or both at once on the same store.");
ABSL_FLAG(std::string, host, ledger::kDefaultHost,
          "Address to listen on: [::] for every interface, 127.0.0.1 for this machine only.");
ABSL_FLAG(int, port, ledger::kDefaultPort,
          "gRPC port of the coroutine server. 0 picks a free port; the startup line says which.");
ABSL_FLAG(int, thread_port, ledger::kDefaultThreadPort,
          "gRPC port of the thread-per-request server. 0 picks a free port.");
ABSL_FLAG(int, metrics_port, ledger::kDefaultMetricsPort,
          "HTTP port of the Prometheus metrics of both modes, at /metrics (IPv4 only: Debian's "
          "civetweb has no IPv6). 0 picks a free port.");
ABSL_FLAG(std::string, metrics_host, "",
          "Address /metrics listens on, in plaintext whatever the gRPC ports use, e.g. an "
          "internal interface only Prometheus reaches. Default: --host.");
ABSL_FLAG(int, health_port, -1,
          "A plaintext gRPC port serving grpc.health.v1 (and reflection), no ledger, with the "
          "ledger ports' status, for probes that cannot speak TLS (kubelet's gRPC probes). -1: "
          "none; 0 picks a free port.");
ABSL_FLAG(int, max_threads, ledger::kDefaultMaxThreads,
          "Thread mode: most threads gRPC may run, its polling thread included; a call that "
          "would need one more is refused with RESOURCE_EXHAUSTED.");
ABSL_FLAG(int, threads, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
          "Completion-queue threads, each serving many calls. Default: one per core.");
ABSL_FLAG(int, max_inflight, ledger::kDefaultMaxInflight,
          "Calls in flight per mode; a call beyond is refused at once with "
          "RESOURCE_EXHAUSTED rather than queued without bound.");
ABSL_FLAG(int, workers, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
          "Worker threads for CPU-bound work (Audit's hashing), kept off the completion-queue "
          "threads. Default: one per core.");
ABSL_FLAG(int, accepts_per_thread, coro::kDefaultAcceptsPerQueue,
          "Calls of each method that each thread stands ready to accept at once, so a burst "
          "of new calls is not serialized behind one accept.");
ABSL_FLAG(std::string, store, ledger::kDefaultStore,
          "Where the ledger lives: memory (embedded in this process, lost on exit; both modes "
          "share it) or postgres (PostgreSQL at --postgres_dsn; both modes, and every server "
          "pointed there, share it).");
ABSL_FLAG(absl::Duration, store_latency, ledger::kDefaultStoreLatency,
          "--store=memory: simulated I/O latency of every store call, e.g. 1ms, 250us; 0 calls "
          "the memory store directly, with no wait.");
ABSL_FLAG(std::string, postgres_dsn, "",
          "--store=postgres: the libpq connection string, key=value pairs or a postgresql:// "
          "URI. Default: the LEDGER_POSTGRES_DSN environment variable. Its password is never "
          "logged.");
ABSL_FLAG(int, postgres_pool_size, ledger::kDefaultPostgresPoolSize,
          "--store=postgres: connections per mode, opened as needed; a call waits for a free "
          "one.");
ABSL_FLAG(absl::Duration, postgres_connect_timeout, ledger::kDefaultPostgresConnectTimeout,
          "--store=postgres: at start-up, how long to keep retrying an unreachable database "
          "before exiting with an error.");
ABSL_FLAG(absl::Duration, drain_grace, ledger::kDefaultDrainGrace,
          "On SIGTERM or SIGINT, how long to keep serving, with health NOT_SERVING, before "
          "shutting down, so load balancers and Kubernetes endpoints stop sending calls "
          "first. A second signal cuts it short.");
ABSL_FLAG(int, max_message_bytes, ledger::kDefaultMaxMessageBytes,
          "Largest message a client may send, in bytes, on every gRPC port; a larger one ends "
          "its call with RESOURCE_EXHAUSTED (the largest ledger request is under 300 bytes).");
ABSL_FLAG(int, max_concurrent_streams, ledger::kDefaultMaxConcurrentStreams,
          "Calls one connection may have open at once (HTTP/2 MAX_CONCURRENT_STREAMS), on every "
          "gRPC port; a gRPC client queues its calls beyond it until one ends. Clients that want "
          "more in flight open more connections.");
ABSL_FLAG(absl::Duration, max_connection_idle, ledger::kDefaultMaxConnectionIdle,
          "A connection with no call open for this long is closed (its client reconnects at its "
          "next call). inf: never.");
ABSL_FLAG(absl::Duration, handshake_timeout, ledger::kDefaultHandshakeTimeout,
          "A connection that has not completed its handshake (TLS if on, then HTTP/2's preface "
          "and SETTINGS) within this is closed.");
ABSL_FLAG(absl::Duration, keepalive_time, ledger::kDefaultKeepaliveTime,
          "While a connection has calls open, the server pings the client after this much "
          "silence; see --keepalive_timeout.");
ABSL_FLAG(absl::Duration, keepalive_timeout, ledger::kDefaultKeepaliveTimeout,
          "A ping not answered within this closes the connection and cancels its calls, so a "
          "client that vanished holds nothing for long.");
ABSL_FLAG(absl::Duration, shutdown_timeout, ledger::kDefaultShutdownTimeout,
          "On SIGTERM or SIGINT, how long in-flight calls may take to finish before they are "
          "cancelled.");

namespace ledger {
namespace {

// --postgres_dsn, or else LEDGER_POSTGRES_DSN.
std::string PostgresDsn() {
  std::string dsn = absl::GetFlag(FLAGS_postgres_dsn);
  if (dsn.empty()) {
    if (const char* from_environment = std::getenv(kPostgresDsnVariable)) dsn = from_environment;
  }
  return dsn;
}

// Validates flags a user can get wrong; the message says which and why.
bool FlagsAreValid() {
  bool valid = true;
  auto complain = [&valid](const std::string& message) {
    LogError("invalid flag: %s", message);
    valid = false;
  };
  if (const std::string mode = absl::GetFlag(FLAGS_mode);
      mode != "coroutine" && mode != "thread" && mode != "both") {
    complain(absl::StrCat("--mode=", mode, " is not one of coroutine, thread, both"));
  }
  if (int port = absl::GetFlag(FLAGS_port); port < 0 || port > 65535) {
    complain(absl::StrCat("--port=", port, " is not a TCP port (0 to 65535)"));
  }
  if (int port = absl::GetFlag(FLAGS_thread_port); port < 0 || port > 65535) {
    complain(absl::StrCat("--thread_port=", port, " is not a TCP port (0 to 65535)"));
  }
  if (int port = absl::GetFlag(FLAGS_metrics_port); port < 0 || port > 65535) {
    complain(absl::StrCat("--metrics_port=", port, " is not a TCP port (0 to 65535)"));
  }
  if (int port = absl::GetFlag(FLAGS_health_port); port < -1 || port > 65535) {
    complain(absl::StrCat("--health_port=", port, " is not a TCP port (0 to 65535) or -1"));
  }
  CheckSecurityFlags(complain);
  if (int max_inflight = absl::GetFlag(FLAGS_max_inflight); max_inflight < 1) {
    complain(absl::StrCat("--max_inflight=", max_inflight, " must be at least 1"));
  }
  if (int max_threads = absl::GetFlag(FLAGS_max_threads); max_threads < 2) {
    complain(absl::StrCat("--max_threads=", max_threads, " must be at least 2"));
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
  if (const std::string store = absl::GetFlag(FLAGS_store); store == "postgres") {
    if (const std::string dsn = PostgresDsn(); dsn.empty()) {
      complain(absl::StrCat("--store=postgres needs --postgres_dsn or ", kPostgresDsnVariable));
    } else if (absl::Status parsed = postgres::CheckDsn(dsn); !parsed.ok()) {
      complain(absl::StrCat("--postgres_dsn: ", parsed.message()));
    }
  } else if (store != "memory") {
    complain(absl::StrCat("--store=", store, " is not one of memory, postgres"));
  }
  if (int size = absl::GetFlag(FLAGS_postgres_pool_size); size < 1 || size > 1000) {
    complain(absl::StrCat("--postgres_pool_size=", size, " must be 1 to 1000"));
  }
  if (absl::GetFlag(FLAGS_postgres_connect_timeout) < absl::ZeroDuration()) {
    complain("--postgres_connect_timeout must not be negative");
  }
  if (absl::GetFlag(FLAGS_store_latency) < absl::ZeroDuration()) {
    complain("--store_latency must not be negative");
  }
  if (absl::GetFlag(FLAGS_drain_grace) < absl::ZeroDuration()) {
    complain("--drain_grace must not be negative");
  }
  if (absl::GetFlag(FLAGS_shutdown_timeout) < absl::ZeroDuration()) {
    complain("--shutdown_timeout must not be negative");
  }
  if (int bytes = absl::GetFlag(FLAGS_max_message_bytes); bytes < 1024) {
    complain(absl::StrCat("--max_message_bytes=", bytes,
                          " must be at least 1024 (health and reflection requests need room)"));
  }
  if (int streams = absl::GetFlag(FLAGS_max_concurrent_streams); streams < 1) {
    complain(absl::StrCat("--max_concurrent_streams=", streams, " must be at least 1"));
  }
  for (const auto& [name, value] :
       {std::pair{"max_connection_idle", absl::GetFlag(FLAGS_max_connection_idle)},
        std::pair{"handshake_timeout", absl::GetFlag(FLAGS_handshake_timeout)},
        std::pair{"keepalive_time", absl::GetFlag(FLAGS_keepalive_time)},
        std::pair{"keepalive_timeout", absl::GetFlag(FLAGS_keepalive_timeout)}}) {
    if (value < absl::Milliseconds(1)) {
      complain(absl::StrCat("--", name, "=", absl::FormatDuration(value), " must be at least 1ms"));
    }
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

// Waits `duration`, or less if another shutdown signal comes; returns it, or 0.
int WaitForShutdownSignal(const sigset_t& signals, absl::Duration duration) {
  const timespec timeout = absl::ToTimespec(duration);
  const int signal = sigtimedwait(&signals, nullptr, &timeout);
  return signal > 0 ? signal : 0;
}

std::string Address(int port) { return absl::StrCat(absl::GetFlag(FLAGS_host), ":", port); }

ConnectionLimits ConnectionLimitsFromFlags() {
  return ConnectionLimits{
      .max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes),
      .max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams),
      .max_connection_idle = absl::GetFlag(FLAGS_max_connection_idle),
      .handshake_timeout = absl::GetFlag(FLAGS_handshake_timeout),
      .keepalive_time = absl::GetFlag(FLAGS_keepalive_time),
      .keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout),
  };
}

std::string MetricsHost() {
  std::string host = absl::GetFlag(FLAGS_metrics_host);
  return host.empty() ? absl::GetFlag(FLAGS_host) : host;
}

// At debug, every flag of ledger-server as it takes effect, defaults
// included: what a fault report needs first.
void LogSettings() {
  if (!logging::Enabled(logging::Level::kDebug)) return;
  // In name order, the order of --help.
  const auto all_flags = absl::GetAllFlags();
  const absl::btree_map<absl::string_view, absl::CommandLineFlag*> flags(all_flags.begin(),
                                                                         all_flags.end());
  for (const auto& [name, flag] : flags) {
    if (!absl::StrContains(flag->Filename(), "service/main/")) continue;
    std::string value = flag->CurrentValue();
    // Its password is never logged.
    if (name == "postgres_dsn" && !value.empty()) value = postgres::RedactedDsn(value);
    LogDebug("setting --%s=%s", name, value);
  }
}

int Run() {
  LogSettings();
  const std::string mode = absl::GetFlag(FLAGS_mode);
  const int workers = absl::GetFlag(FLAGS_workers);
  const bool on_postgres = absl::GetFlag(FLAGS_store) == "postgres";
  const std::string dsn = on_postgres ? PostgresDsn() : "";
  const ConnectionLimits limits = ConnectionLimitsFromFlags();
  // Before the shutdown signals are blocked: Ctrl-C or SIGTERM while waiting
  // for the database just ends the process, which holds nothing yet.
  if (on_postgres) {
    const absl::Duration patience = absl::GetFlag(FLAGS_postgres_connect_timeout);
    Log("waiting for PostgreSQL at %s (at most %s, --postgres_connect_timeout)",
        postgres::RedactedDsn(dsn), absl::FormatDuration(patience));
    const absl::Status ready = postgres::PrepareDatabase(
        dsn, patience, [](const std::string& attempt) { Log("%s", attempt); });
    if (!ready.ok()) {
      LogError("cannot start: %s", ready.message());
      return EXIT_FAILURE;
    }
    Log("PostgreSQL schema is up to date");
  }
  const sigset_t shutdown_signals = BlockShutdownSignals();
  // After the signals are blocked: the tokens file watch and gRPC's
  // certificate watcher are threads, and must not take SIGTERM themselves.
  absl::StatusOr<ServerSecurity> security =
      SetUpSecurity([](const std::string& event) { Log("%s", event); });
  if (!security.ok()) {
    LogError("cannot start: %s", security.status().message());
    return EXIT_FAILURE;
  }
  for (const ServerSecurity::Line& line : security->description) {
    logging::LogAt(line.level, "%s", line.text);
  }

  // Declared before the servers, so the servers are destroyed first.
  coro::ThreadPool worker_pool(workers);
  metrics::ServerMetrics metrics;
  // One Ledger per mode, each over the store as its mode waits for it.
  std::unique_ptr<ModeStores> stores =
      on_postgres ? ModeStores::Postgres(dsn, absl::GetFlag(FLAGS_postgres_pool_size), metrics)
                  : ModeStores::Memory(absl::GetFlag(FLAGS_store_latency), metrics);
  Ledger coroutine_ledger(stores->For(ServingMode::kCoroutine), worker_pool);
  Ledger thread_ledger(stores->For(ServingMode::kThread), worker_pool);
  std::unique_ptr<CoroutineServer> coroutine_server;
  std::unique_ptr<ThreadServer> thread_server;
  std::unique_ptr<HealthServer> health_server;
  auto stop_started_servers = [&] {
    if (coroutine_server) coroutine_server->Shutdown(absl::Now());
    if (thread_server) thread_server->Shutdown(absl::Now());
    if (health_server) health_server->Shutdown(absl::Now());
  };

  if (mode == "coroutine" || mode == "both") {
    const int threads = absl::GetFlag(FLAGS_threads);
    coroutine_server = std::make_unique<CoroutineServer>(
        Address(absl::GetFlag(FLAGS_port)), security->credentials, limits, coroutine_ledger,
        *security->authenticator, threads, absl::GetFlag(FLAGS_accepts_per_thread),
        absl::GetFlag(FLAGS_max_inflight), metrics.AddCallSeries(ServingMode::kCoroutine));
    if (coroutine_server->port() == 0) {
      LogError("cannot listen on %s (is the port in use or the address wrong?)",
               Address(absl::GetFlag(FLAGS_port)));
      return EXIT_FAILURE;
    }
    metrics.AddModeGauges(
        ServingMode::kCoroutine, [&server = *coroutine_server] { return server.inflight(); },
        [threads, workers] { return threads + workers; });
    Log("coroutine mode listening on %s (threads=%d, workers=%d, %s)",
        Address(coroutine_server->port()), threads, workers, stores->Describe());
  }
  if (mode == "thread" || mode == "both") {
    const int max_threads = absl::GetFlag(FLAGS_max_threads);
    thread_server = std::make_unique<ThreadServer>(
        Address(absl::GetFlag(FLAGS_thread_port)), security->credentials, limits, thread_ledger,
        *security->authenticator, max_threads, absl::GetFlag(FLAGS_max_inflight),
        metrics.AddCallSeries(ServingMode::kThread));
    if (thread_server->port() == 0) {
      LogError("cannot listen on %s (is the port in use or the address wrong?)",
               Address(absl::GetFlag(FLAGS_thread_port)));
      stop_started_servers();
      return EXIT_FAILURE;
    }
    metrics.AddModeGauges(
        ServingMode::kThread, [&server = *thread_server] { return server.inflight(); },
        [&server = *thread_server] { return server.threads(); });
    Log("thread mode listening on %s (max_threads=%d, workers=%d, %s)",
        Address(thread_server->port()), max_threads, workers, stores->Describe());
  }
  if (const int port = absl::GetFlag(FLAGS_health_port); port >= 0) {
    health_server = std::make_unique<HealthServer>(Address(port), limits);
    if (health_server->port() == 0) {
      LogError("cannot listen on %s (is the port in use? --health_port picks another)",
               Address(port));
      health_server.reset();
      stop_started_servers();
      return EXIT_FAILURE;
    }
    Log("health listening on %s (plaintext, grpc.health.v1 and reflection only)",
        Address(health_server->port()));
  }
  absl::StatusOr<int> metrics_port =
      metrics.Serve(MetricsHost(), absl::GetFlag(FLAGS_metrics_port));
  if (!metrics_port.ok()) {
    LogError("%s (is the port in use? --metrics_port picks another)",
             metrics_port.status().message());
    stop_started_servers();
    return EXIT_FAILURE;
  }
  Log("metrics listening on http://%s:%d/metrics", MetricsHost(), *metrics_port);
  Log("per connection: messages up to %d bytes, %d calls open at once, closed after %s without "
      "a handshake, %s; pinged after %s of silence during a call, closed if no answer within %s",
      limits.max_message_bytes, limits.max_concurrent_streams,
      absl::FormatDuration(limits.handshake_timeout),
      limits.max_connection_idle == absl::InfiniteDuration()
          ? "never for being idle"
          : absl::StrCat("after ", absl::FormatDuration(limits.max_connection_idle), " idle"),
      absl::FormatDuration(limits.keepalive_time), absl::FormatDuration(limits.keepalive_timeout));

  auto set_serving = [&](bool serving) {
    if (coroutine_server) coroutine_server->SetServing(serving);
    if (thread_server) thread_server->SetServing(serving);
    if (health_server) health_server->SetServing(serving);
  };
  std::unique_ptr<DatabaseHealthWatch> database_watch;
  if (on_postgres) database_watch = std::make_unique<DatabaseHealthWatch>(dsn, set_serving);

  const int signal = WaitForShutdownSignal(shutdown_signals);
  database_watch.reset();  // from now on health says NOT_SERVING, whatever the database does
  Log("%s received: health is NOT_SERVING", strsignal(signal));
  set_serving(false);
  if (const absl::Duration grace = absl::GetFlag(FLAGS_drain_grace); grace > absl::ZeroDuration()) {
    Log("serving on for %s (--drain_grace) while clients move away", absl::FormatDuration(grace));
    if (const int again = WaitForShutdownSignal(shutdown_signals, grace)) {
      Log("%s received: ending the drain early", strsignal(again));
    }
  }
  const absl::Duration timeout = absl::GetFlag(FLAGS_shutdown_timeout);
  Log("finishing in-flight calls (at most %s), then exiting", absl::FormatDuration(timeout));
  // Both drain at once, each until the same deadline.
  const absl::Time deadline = absl::Now() + timeout;
  std::thread stop_threads([&] {
    if (thread_server) thread_server->Shutdown(deadline);
  });
  if (coroutine_server) coroutine_server->Shutdown(deadline);
  stop_threads.join();
  if (health_server) health_server->Shutdown(absl::Now());
  metrics.Stop();
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
    return absl::StrContains(file, "service/main/");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  if (!ledger::ConfigureLogFromFlags() || !ledger::FlagsAreValid()) return 2;
  // Debian's Abseil checks every absl::Mutex acquisition, gRPC's included,
  // for lock-order cycles: a debugging aid that cost about a tenth of the
  // server's CPU under load. Lock order is what ThreadSanitizer checks in the
  // test builds.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Any client can make protobuf log a line (a request it cannot parse); a
  // line every 10 s tells operators as much without flooding the log.
  ledger::RateLimitProtobufLog(absl::Seconds(10));
  return ledger::Run();
}
