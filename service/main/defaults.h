// ledger-server's defaults, defined once: its flags, tests and docs take them
// from here. The ports, which the clients share, are in contract/ports.h.
#pragma once

#include "absl/time/time.h"
#include "contract/ports.h"

namespace ledger {

inline constexpr char kDefaultMode[] = "both";
inline constexpr int kDefaultMaxThreads = 4096;
inline constexpr int kDefaultMaxInflight = 20000;  // per mode
inline constexpr char kDefaultHost[] = "[::]";     // every interface, IPv4 and IPv6
inline constexpr char kDefaultStore[] = "memory";
inline constexpr absl::Duration kDefaultStoreLatency = absl::Milliseconds(1);
// Where --postgres_dsn is read from when the flag is not given, so that
// Kubernetes can pass it from a Secret.
inline constexpr char kPostgresDsnVariable[] = "LEDGER_POSTGRES_DSN";
inline constexpr int kDefaultPostgresPoolSize = 8;  // per mode
inline constexpr absl::Duration kDefaultPostgresConnectTimeout = absl::Seconds(30);
// How often certificates and the tokens file are read again: a rotated
// Secret reaches the pod's volume within a minute or two anyway.
inline constexpr absl::Duration kDefaultTlsReloadInterval = absl::Seconds(60);
inline constexpr absl::Duration kDefaultAuthReloadInterval = absl::Seconds(10);
inline constexpr absl::Duration kDefaultShutdownTimeout = absl::Seconds(5);
// Serving on after SIGTERM while health says NOT_SERVING; Kubernetes
// deployments set it so endpoints drain first, a local run need not wait.
inline constexpr absl::Duration kDefaultDrainGrace = absl::ZeroDuration();

}  // namespace ledger
