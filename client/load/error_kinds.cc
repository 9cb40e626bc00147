#include "client/load/error_kinds.h"

#include <array>
#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ledger::load {
namespace {

constexpr std::array<const char*, 17> kCanonicalNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

constexpr size_t kMaxKindLength = 80;
constexpr int kDeadlineExceeded = 4;
constexpr int kResourceExhausted = 8;
constexpr int kFailedPrecondition = 9;
constexpr int kUnavailable = 14;
constexpr int kDataLoss = 15;

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

const char* CanonicalCodeName(int code) {
  return code >= 0 && code < static_cast<int>(kCanonicalNames.size()) ? kCanonicalNames[code]
                                                                      : "UNKNOWN";
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
