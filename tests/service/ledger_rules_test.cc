// The rules as pure functions. The contract test checks the same rules end to
// end; these pin the boundaries cheaply.
#include "service/ledger/ledger_rules.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "tests/service/ledger_client.h"

namespace ledger {
namespace {

using testing::Request;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(LedgerRules, AccountIds) {
  EXPECT_TRUE(ValidateAccountId("a").ok());
  EXPECT_TRUE(ValidateAccountId("AZaz09_.-").ok());
  EXPECT_TRUE(ValidateAccountId(std::string(64, 'x')).ok());
  for (const std::string& bad :
       {std::string(), std::string(65, 'x'), std::string("a b"), std::string("a/b"),
        std::string("caf\xc3\xa9"), std::string("a\0b", 3), std::string("a:b")}) {
    EXPECT_EQ(ValidateAccountId(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(LedgerRules, OpenAccount) {
  v1::OpenAccountRequest request;
  request.set_id("alice");
  request.set_initial_balance(0);
  EXPECT_TRUE(ValidateOpenAccount(request).ok());
  request.set_initial_balance(kMax);
  EXPECT_TRUE(ValidateOpenAccount(request).ok());
  request.set_initial_balance(-1);
  EXPECT_EQ(ValidateOpenAccount(request).code(), absl::StatusCode::kInvalidArgument);
}

TEST(LedgerRules, Transfer) {
  EXPECT_TRUE(ValidateTransfer(Request("r", "a", "b", 1)).ok());
  EXPECT_TRUE(ValidateTransfer(Request(std::string(128, 'r'), "a", "b", kMax)).ok());
  for (const auto& bad :
       {Request("", "a", "b", 1), Request(std::string(129, 'r'), "a", "b", 1),
        Request("r", "a", "a", 1), Request("r", "a", "b", 0), Request("r", "a", "b", -5),
        Request("r", "", "b", 1), Request("r", "a", "b!", 1)}) {
    EXPECT_EQ(ValidateTransfer(bad).code(), absl::StatusCode::kInvalidArgument)
        << bad.ShortDebugString();
  }
}

TEST(LedgerRules, ApplyTransfer) {
  absl::StatusOr<BalancesAfter> exact = ApplyTransfer(10, 0, 10);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->from_balance, 0);
  EXPECT_EQ(exact->to_balance, 10);
  EXPECT_EQ(ApplyTransfer(9, 0, 10).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApplyTransfer(1, kMax, 1).status().code(), absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<BalancesAfter> to_the_brim = ApplyTransfer(1, kMax - 1, 1);
  ASSERT_TRUE(to_the_brim.ok());
  EXPECT_EQ(to_the_brim->to_balance, kMax);
}

TEST(LedgerRules, CheckRetry) {
  v1::TransferReceipt committed;
  committed.set_request_id("r");
  committed.set_from_id("a");
  committed.set_to_id("b");
  committed.set_amount(5);
  EXPECT_TRUE(CheckRetry(committed, Request("r", "a", "b", 5)).ok());
  EXPECT_EQ(CheckRetry(committed, Request("r", "a", "b", 6)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CheckRetry(committed, Request("r", "b", "a", 5)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CheckRetry(committed, Request("r", "a", "c", 5)).code(),
            absl::StatusCode::kAlreadyExists);
  // The refusal names nothing of the committed transfer, which may be
  // another owner's.
  EXPECT_EQ(CheckRetry(committed, Request("r", "x", "y", 9)).message(),
            "request_id r was already used for a different transfer");
}

TEST(LedgerRules, OnlyAdminMayOpenAnAccountWithMoneyInIt) {
  const Caller alice{.principal = "alice", .admin = false};
  const Caller admin{.principal = "ops", .admin = true};
  v1::OpenAccountRequest request;
  request.set_id("a");
  EXPECT_TRUE(AuthorizeOpen(alice, request).ok());
  request.set_initial_balance(1);
  EXPECT_EQ(AuthorizeOpen(alice, request).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeOpen(admin, request).ok());
  EXPECT_TRUE(AuthorizeOpen(Caller::Anyone(), request).ok());
}

TEST(LedgerRules, OnlyTheOwnerOrAdminMayUseAnAccount) {
  EXPECT_TRUE(AuthorizeOwner(Caller{.principal = "alice"}, "a", "alice", "debit").ok());
  const absl::Status denied = AuthorizeOwner(Caller{.principal = "bob"}, "a", "alice", "debit");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "only the account's owner or the admin role may debit account a");
  EXPECT_TRUE(AuthorizeOwner(Caller{.principal = "ops", .admin = true}, "a", "alice", "read").ok());
  // An account opened without authentication belongs to nobody: not even a
  // caller whose principal is empty owns it, only admin (and Anyone) may use it.
  EXPECT_EQ(AuthorizeOwner(Caller{.principal = ""}, "a", "", "read").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeOwner(Caller::Anyone(), "a", "", "read").ok());
}

}  // namespace
}  // namespace ledger
