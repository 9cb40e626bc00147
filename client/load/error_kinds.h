// Why calls failed, in words a reader of a report can act on: each failed
// call is counted by its gRPC code and the kind of its message (the message
// with what varies from call to call taken out), and the kinds that overload
// produces are explained (which limit was reached).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace ledger::load {

// gRPC's own spelling of a code, "RESOURCE_EXHAUSTED" (client/common's
// StatusCodeName); "UNKNOWN" past the last, as gRPC reads such a code.
std::string CanonicalCodeName(int code);

// The message with every run of digits made "N" and cut to 80 characters,
// so "the server has 8192 calls in flight" and the same with 4096 are one
// kind; an empty message stays empty.
std::string MessageKind(std::string_view message);

// Failed calls by (code, message kind). A run keeps at most kMaxErrorKinds
// kinds; calls of any further kind count under their code with the kind
// "(other messages)", so a server that puts ids in messages cannot grow it
// without bound.
inline constexpr size_t kMaxErrorKinds = 32;
using ErrorKinds = std::map<std::pair<int, std::string>, int64_t>;
void CountErrorKind(ErrorKinds& kinds, int code, std::string_view message, int64_t count = 1);

// "RESOURCE_EXHAUSTED: Server Threadpool Exhausted", and after " — " what it
// means where that is known ("thread mode reached --max_threads: gRPC's sync
// server had no thread left for the call").
std::string DescribeErrorKind(int code, const std::string& kind);

}  // namespace ledger::load
