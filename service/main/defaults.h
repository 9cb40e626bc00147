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
inline constexpr char kDefaultLogLevel[] = "info";
inline constexpr char kDefaultLogFormat[] = "text";
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

// What one peer may cost (service/serving/connection_limits.h).
// The largest request of the API is under 300 bytes (a request_id of 128
// bytes, two account ids of 64, an amount); 64 KiB leaves room for
// two hundred times that, and for health and reflection requests, while a
// peer can make the server buffer no more than that per message (gRPC's own
// default is 4 MiB). It also equals HTTP/2's initial flow-control window.
inline constexpr int kDefaultMaxMessageBytes = 64 * 1024;
// Calls open at once on one connection. ledger-load puts at most 2,500 on
// one connection (10,000 in flight over its default 4 connections; make
// compare's 8,192 over 4 is 2,048), so 4096 changes nothing for it, nor for
// any client under --max_inflight over a few connections; a gRPC client
// beyond it queues calls (they wait, never fail). It bounds what a single
// connection can hold in the server, each open call costing a few KiB even
// before its request arrives.
inline constexpr int kDefaultMaxConcurrentStreams = 4096;
// A connection without a call for this long is closed; its client reconnects
// at its next call, paying one handshake. Long enough that a client between
// bursts rarely does, short enough that the sockets of clients that vanished
// without closing are freed within minutes.
inline constexpr absl::Duration kDefaultMaxConnectionIdle = absl::Minutes(5);
// A TLS handshake plus the HTTP/2 preface takes a few round trips, well under
// a second even across continents; a connection that sends nothing is
// closed after this (gRPC's own default is 120 s).
inline constexpr absl::Duration kDefaultHandshakeTimeout = absl::Seconds(10);
// With a call open, the peer is pinged after a minute of silence and the
// connection closed if the ping is not answered in 20 s (gRPC's own default
// timeout): a vanished peer holds its calls (and thread mode's threads) for
// at most 80 s, not the hours TCP takes. Idle connections are not pinged;
// --max_connection_idle closes them.
inline constexpr absl::Duration kDefaultKeepaliveTime = absl::Minutes(1);
inline constexpr absl::Duration kDefaultKeepaliveTimeout = absl::Seconds(20);

}  // namespace ledger
