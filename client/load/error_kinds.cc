#include "client/load/error_kinds.h"

#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/common/exit_codes.h"

namespace ledger::load {
namespace {

constexpr size_t kMaxKindLength = 80;
// gRPC's numbering, which absl::StatusCode shares (both are google.rpc.Code).
constexpr int kDeadlineExceeded = static_cast<int>(absl::StatusCode::kDeadlineExceeded);
constexpr int kResourceExhausted = static_cast<int>(absl::StatusCode::kResourceExhausted);
constexpr int kFailedPrecondition = static_cast<int>(absl::StatusCode::kFailedPrecondition);
constexpr int kUnavailable = static_cast<int>(absl::StatusCode::kUnavailable);
constexpr int kDataLoss = static_cast<int>(absl::StatusCode::kDataLoss);

// What the limits the load can reach say, as the server and gRPC word them.
std::string Explain(int code, const std::string& kind) {
  if (code == kResourceExhausted && absl::StrContains(kind, "Threadpool Exhausted")) {
    return "thread mode reached --max_threads: gRPC's sync server had no thread left for the "
           "call";
  }
  if (code == kResourceExhausted && absl::StrContains(kind, "--max_inflight")) {
    return "the mode had --max_inflight calls in flight and refused one more";
  }
  if (code == kResourceExhausted) {
    return "a limit of the server or of gRPC (memory quota, message size) refused the call";
  }
  if (code == kDeadlineExceeded) {
    return "the call did not end within ledger-load's --call_timeout";
  }
  if (code == kUnavailable) {
    return "the connection failed or the server was not serving";
  }
  if (code == kFailedPrecondition) {
    return "the ledger refused a transfer (funds, account state): the workload's outcome, not "
           "overload";
  }
  if (code == kDataLoss) return "an audit found an account whose journal does not add up";
  return "";
}

}  // namespace

std::string CanonicalCodeName(int code) {
  const bool known = code >= 0 && code <= static_cast<int>(absl::StatusCode::kUnauthenticated);
  return StatusCodeName(known ? code : static_cast<int>(absl::StatusCode::kUnknown));
}

std::string MessageKind(std::string_view message) {
  std::string kind;
  for (size_t i = 0; i < message.size() && kind.size() < kMaxKindLength; ++i) {
    if (std::isdigit(static_cast<unsigned char>(message[i]))) {
      while (i + 1 < message.size() && std::isdigit(static_cast<unsigned char>(message[i + 1]))) {
        ++i;
      }
      kind += 'N';
    } else {
      kind += message[i];
    }
  }
  return kind;
}

void CountErrorKind(ErrorKinds& kinds, int code, std::string_view message, int64_t count) {
  std::pair<int, std::string> key(code, MessageKind(message));
  if (kinds.size() >= kMaxErrorKinds && !kinds.contains(key)) key.second = "(other messages)";
  kinds[key] += count;
}

std::string DescribeErrorKind(int code, const std::string& kind) {
  std::string text =
      absl::StrCat(CanonicalCodeName(code), ": ", kind.empty() ? "(no message)" : kind);
  const std::string why = Explain(code, kind);
  if (!why.empty()) absl::StrAppend(&text, " — ", why);
  return text;
}

}  // namespace ledger::load
