// Protobuf's own log lines, rate-limited. Protobuf logs an ERROR line for
// every message it cannot parse (a string field that is not UTF-8), so any
// client could otherwise write a line into the server's log per call it
// makes. The first line of a burst is kept, so operators see what is sent.
#pragma once

#include "absl/time/time.h"

namespace ledger {

// From now on protobuf's lines go to Log(), at most one per `interval`; the
// next line kept says how many were dropped since the last. FATAL lines are
// always kept. Call once at start-up, before any thread parses a message.
void RateLimitProtobufLog(absl::Duration interval);

}  // namespace ledger
