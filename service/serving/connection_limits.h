// ConnectionLimits: what one peer may cost a gRPC server, whatever it sends
// or fails to send: the largest message it may make the server receive, how
// many calls it may hold open on one connection, and how long a connection
// may stay silent, idle or unresponsive before the server closes it. Both
// ledger ports and the health port take the same limits (ledger-server's
// flags, whose defaults are in service/main/defaults.h).
#pragma once

#include <grpcpp/server_builder.h>

#include "absl/time/time.h"

namespace ledger {

struct ConnectionLimits {
  // A received message larger than this ends its call with
  // RESOURCE_EXHAUSTED before it reaches a handler.
  int max_message_bytes;
  // Calls open at once on one connection (HTTP/2 SETTINGS_MAX_CONCURRENT_
  // STREAMS): a gRPC client queues calls beyond it until one ends.
  int max_concurrent_streams;
  // A connection with no call open for this long is closed (GOAWAY, then
  // close): clients that went away without closing free their socket.
  absl::Duration max_connection_idle;
  // A connection that has not finished its handshake (TLS, then the HTTP/2
  // preface and SETTINGS) within this is closed.
  absl::Duration handshake_timeout;
  // While a call is open, the server pings its peer after this much silence,
  // and closes the connection, cancelling its calls, if the ping is not
  // answered within keepalive_timeout: a peer that vanished (or stopped
  // reading its socket) holds no call, nor thread in thread mode, for long.
  absl::Duration keepalive_time;
  absl::Duration keepalive_timeout;
};

// Sets `limits` as channel arguments of the server `builder` builds.
void ApplyConnectionLimits(const ConnectionLimits& limits, grpc::ServerBuilder& builder);

}  // namespace ledger
