// Failed calls counted by code and message kind, and the words the report
// gives each kind.
#include "client/load/error_kinds.h"

#include <gtest/gtest.h>

#include <string>

namespace ledger::load {
namespace {

constexpr int kResourceExhausted = 8;
constexpr int kDeadlineExceeded = 4;

TEST(MessageKind, NumbersAreOneKindAndLongMessagesAreCut) {
  EXPECT_EQ(MessageKind("the server has 8192 calls in flight (--max_inflight); retry later"),
            "the server has N calls in flight (--max_inflight); retry later");
  EXPECT_EQ(MessageKind("Server Threadpool Exhausted"), "Server Threadpool Exhausted");
  EXPECT_EQ(MessageKind(""), "");
  EXPECT_EQ(MessageKind(std::string(200, 'x')).size(), 80u);
}

TEST(CountErrorKind, CountsByCodeAndKindAndFoldsKindsPastTheBound) {
  ErrorKinds kinds;
  CountErrorKind(kinds, kResourceExhausted, "the server has 4096 calls in flight");
  CountErrorKind(kinds, kResourceExhausted, "the server has 8192 calls in flight");
  CountErrorKind(kinds, kDeadlineExceeded, "Deadline Exceeded", 3);
  EXPECT_EQ((kinds[{kResourceExhausted, "the server has N calls in flight"}]), 2);
  EXPECT_EQ((kinds[{kDeadlineExceeded, "Deadline Exceeded"}]), 3);
  for (size_t i = 0; i < 2 * kMaxErrorKinds; ++i) {
    CountErrorKind(kinds, kResourceExhausted, std::string(i + 1, 'z'));  // a kind each
  }
  EXPECT_EQ(kinds.size(), kMaxErrorKinds + 1);
  EXPECT_EQ((kinds[{kResourceExhausted, "(other messages)"}]),
            static_cast<int64_t>(kMaxErrorKinds + 2));
}

TEST(DescribeErrorKind, NamesTheCodeTheMessageAndTheLimitReached) {
  EXPECT_EQ(DescribeErrorKind(kResourceExhausted, "Server Threadpool Exhausted"),
            "RESOURCE_EXHAUSTED: Server Threadpool Exhausted — thread mode reached "
            "--max_threads: gRPC's sync server had no thread left for the call");
  EXPECT_EQ(DescribeErrorKind(kDeadlineExceeded, "Deadline Exceeded"),
            "DEADLINE_EXCEEDED: Deadline Exceeded — the call did not end within ledger-load's "
            "--call_timeout");
  EXPECT_EQ(DescribeErrorKind(13, ""), "INTERNAL: (no message)");
  EXPECT_EQ(DescribeErrorKind(99, "odd"), "UNKNOWN: odd");
}

}  // namespace
}  // namespace ledger::load
