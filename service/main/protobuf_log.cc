#include "service/main/protobuf_log.h"

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "logging/log.h"

namespace ledger {
namespace {

struct Limiter {
  std::mutex mutex;
  absl::Duration interval;
  absl::Time last_kept = absl::InfinitePast();
  int64_t dropped = 0;
};

Limiter& TheLimiter() {
  static Limiter* limiter = new Limiter;  // never destroyed: gRPC threads may log at exit
  return *limiter;
}

void KeepSome(google::protobuf::LogLevel level, const char* filename, int line,
              const std::string& message) {
  Limiter& limiter = TheLimiter();
  int64_t dropped = 0;
  {
    std::lock_guard lock(limiter.mutex);
    const absl::Time now = absl::Now();
    if (level != google::protobuf::LOGLEVEL_FATAL && now - limiter.last_kept < limiter.interval) {
      ++limiter.dropped;
      return;
    }
    limiter.last_kept = now;
    dropped = std::exchange(limiter.dropped, 0);
  }
  const absl::string_view text = absl::StripTrailingAsciiWhitespace(message);
  // Warnings: what protobuf says here is mostly of a request it could not
  // parse, a client's fault the server survives.
  if (dropped > 0) {
    LogWarning("protobuf (%s:%d): %s (%d more protobuf lines dropped before this one)", filename,
               line, text, dropped);
  } else {
    LogWarning("protobuf (%s:%d): %s", filename, line, text);
  }
}

}  // namespace

void RateLimitProtobufLog(absl::Duration interval) {
  TheLimiter().interval = interval;
  google::protobuf::SetLogHandler(&KeepSome);
}

}  // namespace ledger
