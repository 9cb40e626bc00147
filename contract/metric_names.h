// What ledger-server exports on /metrics: names, labels and buckets, defined
// once for the server, its tests and its docs. The grpc_server_* families are
// go-grpc-middleware's, so existing gRPC dashboards and alerts work on them;
// every series adds a `mode` label (coroutine or thread).
#pragma once

#include <array>

namespace ledger::metrics {

// Per call, labels grpc_type, grpc_service, grpc_method, mode (+ grpc_code).
inline constexpr char kStartedTotal[] = "grpc_server_started_total";
inline constexpr char kHandledTotal[] = "grpc_server_handled_total";
inline constexpr char kMsgReceivedTotal[] = "grpc_server_msg_received_total";
inline constexpr char kMsgSentTotal[] = "grpc_server_msg_sent_total";
inline constexpr char kHandlingSeconds[] = "grpc_server_handling_seconds";

// Per store call, labels op, store, mode.
inline constexpr char kStoreOperationSeconds[] = "ledger_store_operation_seconds";

// The PostgreSQL store's connection pools (--store=postgres), per mode: how
// long a call waited for a free connection, and the connections by state.
inline constexpr char kPostgresPoolWaitSeconds[] = "ledger_postgres_pool_wait_seconds";
inline constexpr char kPostgresPoolConnections[] =
    "ledger_postgres_pool_connections";  // {mode, state}

// Read when scraped.
inline constexpr char kInflightCalls[] = "ledger_inflight_calls";  // {mode}
inline constexpr char kModeThreads[] = "ledger_mode_threads";      // {mode}
inline constexpr char kCoroutineFrames[] = "ledger_coroutine_frames";
inline constexpr char kCoroutineFrameBytes[] = "ledger_coroutine_frame_bytes";

// The process, named as every Prometheus client library names it.
inline constexpr char kProcessCpuSecondsTotal[] = "process_cpu_seconds_total";
inline constexpr char kProcessResidentMemoryBytes[] = "process_resident_memory_bytes";
inline constexpr char kProcessVirtualMemoryBytes[] = "process_virtual_memory_bytes";
inline constexpr char kProcessOpenFds[] = "process_open_fds";
inline constexpr char kProcessMaxFds[] = "process_max_fds";
inline constexpr char kProcessStartTimeSeconds[] = "process_start_time_seconds";
inline constexpr char kProcessThreads[] = "process_threads";

// Histogram bucket upper bounds in seconds, the same for every histogram so
// that quantiles compare across modes and methods: steps of 1, 1.5, 2, 3, 5,
// 7.5 per decade from 50 µs to 10 s, fine enough to tell a 0.1 ms call from a
// 1 ms one from a 10 ms one.
inline constexpr std::array<double, 33> kLatencyBuckets = {
    50e-6, 75e-6,  100e-6, 150e-6, 200e-6, 300e-6, 500e-6, 750e-6,  //
    1e-3,  1.5e-3, 2e-3,   3e-3,   5e-3,   7.5e-3,                  //
    10e-3, 15e-3,  20e-3,  30e-3,  50e-3,  75e-3,                   //
    0.1,   0.15,   0.2,    0.3,    0.5,    0.75,                    //
    1,     1.5,    2,      3,      5,      7.5,    10};

// grpc_code values: gRPC status codes 0 to 16 as Go names them.
inline constexpr std::array<const char*, 17> kGoCodeNames = {
    "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
    "DataLoss", "Unauthenticated"};

}  // namespace ledger::metrics
