// Ledger's streaming calls over a FakeStore: which failures end an
// ImportTransfers or TransferStream call, and which are counted as rejected
// or answered on their own request.
#include <gtest/gtest.h>

#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/service/ledger/ledger_fixture.h"

namespace ledger::fake {
namespace {

// --- Streams: which failures end them ----------------------------------------

// Five valid transfers from a to b; the third fails in the store with `code`.
class LedgerStreamTest : public LedgerTest, public ::testing::WithParamInterface<absl::StatusCode> {
 protected:
  LedgerStreamTest() {
    store_.SetAccount("a", 1000, 1000, 1);
    store_.SetAccount("b", 0, 0, 1);
    store_.FailCommit("r3", absl::Status(GetParam(), "the store says no"));
  }
  std::vector<v1::TransferRequest> Requests() const {
    std::vector<v1::TransferRequest> requests;
    for (int i = 1; i <= 5; ++i) requests.push_back(Request(absl::StrCat("r", i), "a", "b", i));
    return requests;
  }

  // TransferStream answers every request with its own result, whatever the
  // code, so a client learns the fate of each; the stream itself ends with
  // the call (the client done writing, or the call cancelled or past its
  // deadline).
  void ExpectEveryRequestAnswered() {
    const std::vector<v1::TransferRequest> requests = Requests();
    RequestSource source(requests);
    auto read = [&source](v1::TransferRequest& request) { return source.Read(request); };
    Sink<v1::TransferResult> sink;
    auto write = [&sink](const v1::TransferResult& result) { return sink.Write(result); };
    EXPECT_TRUE(
        coro::SyncWait(ledger_.TransferStream(Caller::Anyone(), read, write, coro::Cancellation()))
            .ok());
    // A store that never suspends: one at a time, results in request order.
    const std::vector<v1::TransferResult> results = sink.written();
    ASSERT_EQ(results.size(), requests.size());
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_EQ(results[i].request_id(), requests[i].request_id());
      if (results[i].request_id() == "r3") {
        EXPECT_EQ(results[i].code(), static_cast<int32_t>(GetParam()));
        EXPECT_EQ(results[i].message(), "the store says no");
        EXPECT_FALSE(results[i].has_receipt());
      } else {
        EXPECT_EQ(results[i].code(), 0);
        EXPECT_EQ(results[i].receipt().request_id(), results[i].request_id());
      }
    }
    EXPECT_EQ(store_.committed(), (std::vector<std::string>{"r1", "r2", "r4", "r5"}));
  }
};

std::string CodeName(const ::testing::TestParamInfo<absl::StatusCode>& info) {
  return absl::StatusCodeToString(info.param);
}

// A request that breaks a rule is counted in `rejected` and the stream goes on.
class RuleViolation : public LedgerStreamTest {};
// Any other failure ends the stream with that status; nothing after it is read.
class CallFailure : public LedgerStreamTest {};

INSTANTIATE_TEST_SUITE_P(Codes, RuleViolation,
                         ::testing::Values(absl::StatusCode::kInvalidArgument,
                                           absl::StatusCode::kNotFound,
                                           absl::StatusCode::kAlreadyExists,
                                           absl::StatusCode::kFailedPrecondition),
                         CodeName);
INSTANTIATE_TEST_SUITE_P(Codes, CallFailure,
                         ::testing::Values(absl::StatusCode::kCancelled,
                                           absl::StatusCode::kDeadlineExceeded,
                                           absl::StatusCode::kUnavailable,
                                           absl::StatusCode::kInternal, absl::StatusCode::kAborted,
                                           absl::StatusCode::kResourceExhausted,
                                           absl::StatusCode::kUnknown),
                         CodeName);

TEST_P(RuleViolation, IsCountedAsRejectedByImportTransfers) {
  RequestSource source(Requests());
  auto read = [&source](v1::TransferRequest& request) { return source.Read(request); };
  absl::StatusOr<v1::ImportSummary> summary =
      coro::SyncWait(ledger_.ImportTransfers(Caller::Anyone(), read, coro::Cancellation()));
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->applied(), 4u);
  EXPECT_EQ(summary->rejected(), 1u);
  EXPECT_EQ(source.read(), 5u);
  EXPECT_EQ(store_.committed(), (std::vector<std::string>{"r1", "r2", "r4", "r5"}));
}

TEST_P(CallFailure, EndsImportTransfers) {
  RequestSource source(Requests());
  auto read = [&source](v1::TransferRequest& request) { return source.Read(request); };
  absl::StatusOr<v1::ImportSummary> summary =
      coro::SyncWait(ledger_.ImportTransfers(Caller::Anyone(), read, coro::Cancellation()));
  EXPECT_EQ(summary.status().code(), GetParam());
  EXPECT_EQ(summary.status().message(), "the store says no");
  EXPECT_EQ(source.read(), 3u);
  EXPECT_EQ(store_.commit_calls(), 3);
  EXPECT_EQ(store_.committed(), (std::vector<std::string>{"r1", "r2"}));
}

TEST_P(RuleViolation, IsAnsweredOnItsOwnRequestByTransferStream) { ExpectEveryRequestAnswered(); }

TEST_P(CallFailure, IsAnsweredOnItsOwnRequestByTransferStream) { ExpectEveryRequestAnswered(); }

TEST_F(LedgerTest, ImportTransfersRejectsWhatTheLedgerRefusesWithoutCommitting) {
  store_.SetAccount("a", 1000, 1000, 1);
  store_.SetAccount("b", 0, 0, 1);
  RequestSource source({Request("ok1", "a", "b", 1), Request("zero", "a", "b", 0),
                        Request("self", "a", "a", 1), Request("nobody", "a", "nobody", 1),
                        Request("", "a", "b", 1), Request("ok2", "a", "b", 2)});
  auto read = [&source](v1::TransferRequest& request) { return source.Read(request); };
  absl::StatusOr<v1::ImportSummary> summary =
      coro::SyncWait(ledger_.ImportTransfers(Caller::Anyone(), read, coro::Cancellation()));
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->applied(), 2u);
  EXPECT_EQ(summary->rejected(), 4u);
  // The rules refuse "zero", "self" and "" before the store; the store's
  // commit refuses "nobody".
  EXPECT_EQ(store_.commit_calls(), 3);
  EXPECT_EQ(store_.committed(), (std::vector<std::string>{"ok1", "ok2"}));
}

TEST_F(LedgerTest, ACancelledCallEndsImportTransfersCancelled) {
  store_.SetAccount("a", 1000, 1000, 1);
  store_.SetAccount("b", 0, 0, 1);
  std::stop_source stop;
  stop.request_stop();
  for (const std::vector<v1::TransferRequest>& requests :
       {std::vector<v1::TransferRequest>{Request("r1", "a", "b", 1), Request("r2", "a", "b", 1)},
        std::vector<v1::TransferRequest>{}}) {
    RequestSource source(requests);
    auto read = [&source](v1::TransferRequest& request) { return source.Read(request); };
    absl::StatusOr<v1::ImportSummary> summary = coro::SyncWait(ledger_.ImportTransfers(
        Caller::Anyone(), read, coro::Cancellation(stop.get_token(), absl::InfiniteFuture())));
    EXPECT_EQ(summary.status().code(), absl::StatusCode::kCancelled);
    EXPECT_LE(source.read(), 1u);
  }
  EXPECT_EQ(store_.commit_calls(), 0);
}

TEST_F(LedgerTest, ACallPastItsDeadlineEndsTransferStreamWithDeadlineExceeded) {
  store_.SetAccount("a", 1000, 1000, 1);
  store_.SetAccount("b", 0, 0, 1);
  RequestSource source({Request("r1", "a", "b", 1), Request("r2", "a", "b", 1)});
  auto read = [&source](v1::TransferRequest& request) { return source.Read(request); };
  Sink<v1::TransferResult> sink;
  auto write = [&sink](const v1::TransferResult& result) { return sink.Write(result); };
  const absl::Status status = coro::SyncWait(ledger_.TransferStream(
      Caller::Anyone(), read, write,
      coro::Cancellation(std::stop_token(), absl::Now() - absl::Seconds(1))));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  for (const v1::TransferResult& result : sink.written()) {
    EXPECT_EQ(result.code(), static_cast<int32_t>(absl::StatusCode::kDeadlineExceeded));
  }
  EXPECT_EQ(store_.commit_calls(), 0);
}

}  // namespace
}  // namespace ledger::fake
