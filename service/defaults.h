// Defaults a user can rely on, defined once. Flags, tests and docs take them
// from here.
#pragma once

#include "absl/time/time.h"

namespace ledger {

inline constexpr char kDefaultMode[] = "both";
inline constexpr int kDefaultPort = 50051;        // coroutine mode
inline constexpr int kDefaultThreadPort = 50052;  // thread mode
inline constexpr int kDefaultMetricsPort = 9464;  // Prometheus's default for exporters
inline constexpr int kDefaultMaxThreads = 4096;
inline constexpr int kDefaultMaxInflight = 20000;  // per mode
inline constexpr char kDefaultHost[] = "[::]";     // every interface, IPv4 and IPv6
inline constexpr absl::Duration kDefaultStoreLatency = absl::Milliseconds(1);
inline constexpr absl::Duration kDefaultShutdownTimeout = absl::Seconds(5);
// Serving on after SIGTERM while health says NOT_SERVING; Kubernetes
// deployments set it so endpoints drain first, a local run need not wait.
inline constexpr absl::Duration kDefaultDrainGrace = absl::ZeroDuration();

}  // namespace ledger
