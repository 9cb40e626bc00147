#include "service/serving/connection_limits.h"

#include <grpc/grpc.h>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace ledger {
namespace {

// Channel arguments are ints: a duration in whole milliseconds, at least 1
// (0 would mean "at once" to some of them) and at most what an int holds.
int Milliseconds(absl::Duration duration) {
  const int64_t milliseconds = absl::ToInt64Milliseconds(duration);
  return static_cast<int>(std::clamp<int64_t>(milliseconds, 1, std::numeric_limits<int>::max()));
}

}  // namespace

void ApplyConnectionLimits(const ConnectionLimits& limits, grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, limits.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             Milliseconds(limits.max_connection_idle));
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             Milliseconds(limits.handshake_timeout));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, Milliseconds(limits.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Milliseconds(limits.keepalive_timeout));
}

}  // namespace ledger
