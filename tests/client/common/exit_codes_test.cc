// The exit code of each gRPC code, as the CLI's contract defines it.
#include "client/common/exit_codes.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace ledger {
namespace {

TEST(ExitCodes, EachGrpcCodeFallsInItsClass) {
  using grpc::StatusCode;
  EXPECT_EQ(ExitCodeFor(StatusCode::OK), ExitCode::kSuccess);
  EXPECT_EQ(ExitCodeFor(StatusCode::INVALID_ARGUMENT), ExitCode::kUsage);
  EXPECT_EQ(ExitCodeFor(StatusCode::NOT_FOUND), ExitCode::kNotFound);
  EXPECT_EQ(ExitCodeFor(StatusCode::FAILED_PRECONDITION), ExitCode::kPrecondition);
  EXPECT_EQ(ExitCodeFor(StatusCode::ALREADY_EXISTS), ExitCode::kPrecondition);
  EXPECT_EQ(ExitCodeFor(StatusCode::UNAVAILABLE), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeFor(StatusCode::DEADLINE_EXCEEDED), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeFor(StatusCode::RESOURCE_EXHAUSTED), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeFor(StatusCode::UNAUTHENTICATED), ExitCode::kUnauthenticated);
  EXPECT_EQ(ExitCodeFor(StatusCode::PERMISSION_DENIED), ExitCode::kPermissionDenied);
  for (StatusCode other :
       {StatusCode::CANCELLED, StatusCode::UNKNOWN, StatusCode::INTERNAL, StatusCode::UNIMPLEMENTED,
        StatusCode::ABORTED, StatusCode::OUT_OF_RANGE, StatusCode::DATA_LOSS}) {
    EXPECT_EQ(ExitCodeFor(other), ExitCode::kFailure) << other;
  }
  EXPECT_EQ(ToInt(ExitCode::kUnavailable), 5);
  EXPECT_EQ(ToInt(ExitCode::kUnauthenticated), 6);
  EXPECT_EQ(ToInt(ExitCode::kPermissionDenied), 7);
}

TEST(ExitCodes, ResultCodesOutsideGrpcsRangeAreFailures) {
  EXPECT_EQ(ExitCodeFor(9), ExitCode::kPrecondition);
  EXPECT_EQ(ExitCodeFor(7), ExitCode::kPermissionDenied);  // a denied request of a stream
  EXPECT_EQ(ExitCodeFor(-1), ExitCode::kFailure);
  EXPECT_EQ(ExitCodeFor(17), ExitCode::kFailure);
}

TEST(ExitCodes, NamesAreGrpcs) {
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::NOT_FOUND), "NOT_FOUND");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::DEADLINE_EXCEEDED), "DEADLINE_EXCEEDED");
  EXPECT_EQ(StatusCodeName(99), "CODE_99");
}

TEST(ExitCodes, HelpListsEveryClass) {
  EXPECT_EQ(ExitCodesHelp(),
            "Exit codes:\n"
            "  0  success\n"
            "  1  any other failure\n"
            "  2  usage: bad command line, unreadable or malformed input file, or "
            "INVALID_ARGUMENT\n"
            "  3  not found: NOT_FOUND\n"
            "  4  precondition failed: ALREADY_EXISTS, FAILED_PRECONDITION\n"
            "  5  unavailable, retry later: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE\n"
            "  6  unauthenticated, no token or certificate the server knows: "
            "UNAUTHENTICATED\n"
            "  7  permission denied, neither the account's owner nor an admin: "
            "PERMISSION_DENIED\n");
}

}  // namespace
}  // namespace ledger
