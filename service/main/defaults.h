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
inline constexpr absl::Duration kDefaultStoreLatency = absl::Milliseconds(1);
inline constexpr absl::Duration kDefaultShutdownTimeout = absl::Seconds(5);
// Serving on after SIGTERM while health says NOT_SERVING; Kubernetes
// deployments set it so endpoints drain first, a local run need not wait.
inline constexpr absl::Duration kDefaultDrainGrace = absl::ZeroDuration();

}  // namespace ledger
