// The store contract, rule by rule, one call at a time: accounts, transfers,
// idempotency by request_id, and calls that give up. Exact outcomes only.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "tests/service/stores/store_conformance.h"

namespace ledger::conformance {
namespace {

constexpr int64_t kMaxBalance = std::numeric_limits<int64_t>::max();

}  // namespace

// --- Accounts ---------------------------------------------------------------

TEST_P(StoreConformance, AnOpenedAccountStartsAtVersionOneWithItsInitialBalanceAndOwner) {
  const std::string rich = Id("rich");
  const std::string empty = Id("empty");
  absl::StatusOr<v1::Account> opened = Open(rich, 250, "spiffe://ledger/alice");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->id(), rich);
  EXPECT_EQ(opened->balance(), 250);
  EXPECT_EQ(opened->version(), 1u);
  EXPECT_EQ(opened->owner(), "spiffe://ledger/alice");
  ASSERT_TRUE(Open(empty, 0).ok());

  absl::StatusOr<AccountRecord> record = Get(rich);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE(Same(record->account, *opened));
  EXPECT_EQ(record->initial_balance, 250);
  record = Get(empty);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->account.balance(), 0);
  EXPECT_EQ(record->account.version(), 1u);
  EXPECT_EQ(record->account.owner(), "");
  EXPECT_EQ(record->initial_balance, 0);

  absl::StatusOr<std::vector<v1::TransferReceipt>> journal = List(rich, 0, 10);
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_TRUE(journal->empty());
}

TEST_P(StoreConformance, OpeningATakenIdIsAlreadyExistsAndLeavesTheAccountAsItWas) {
  const std::string id = Id("taken");
  ASSERT_TRUE(Open(id, 100, "first").ok());
  const std::string other = Id("other");
  ASSERT_TRUE(Open(other, 50).ok());
  ASSERT_TRUE(Commit(Id("move"), id, other, 30).ok());

  EXPECT_EQ(Open(id, 999, "second").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Open(id, 70, "first").status().code(), absl::StatusCode::kAlreadyExists);

  absl::StatusOr<AccountRecord> record = Get(id);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->account.balance(), 70);
  EXPECT_EQ(record->account.version(), 2u);
  EXPECT_EQ(record->account.owner(), "first");
  EXPECT_EQ(record->initial_balance, 100);
  EXPECT_EQ(Journal(id).size(), 1u);
}

TEST_P(StoreConformance, AnUnknownAccountIsNotFound) {
  EXPECT_EQ(Get(Id("nobody")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(List(Id("nobody"), 0, 10).status().code(), absl::StatusCode::kNotFound);
  // A lookup does not create it.
  EXPECT_EQ(Get(Id("nobody")).status().code(), absl::StatusCode::kNotFound);
}

// --- Transfers ----------------------------------------------------------------

TEST_P(StoreConformance, ATransferMovesTheAmountAtomicallyAndReturnsItsReceipt) {
  const std::string payer = Id("payer");
  const std::string payee = Id("payee");
  const std::string bystander = Id("bystander");
  ASSERT_TRUE(Open(payer, 100, "payer's owner").ok());
  ASSERT_TRUE(Open(payee, 5, "payee's owner").ok());
  ASSERT_TRUE(Open(bystander, 40).ok());

  const absl::Time before = absl::Now() - absl::Seconds(1);
  absl::StatusOr<v1::TransferReceipt> receipt = Commit(Id("pay"), payer, payee, 30);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_GT(receipt->sequence(), 0u);
  EXPECT_EQ(receipt->request_id(), Id("pay"));
  EXPECT_EQ(receipt->from_id(), payer);
  EXPECT_EQ(receipt->to_id(), payee);
  EXPECT_EQ(receipt->amount(), 30);
  EXPECT_EQ(receipt->from_balance(), 70);
  EXPECT_EQ(receipt->to_balance(), 35);
  ASSERT_TRUE(receipt->has_committed_at());
  EXPECT_GE(receipt->committed_at().seconds(), absl::ToUnixSeconds(before));

  absl::StatusOr<AccountRecord> from = Get(payer);
  absl::StatusOr<AccountRecord> to = Get(payee);
  absl::StatusOr<AccountRecord> other = Get(bystander);
  ASSERT_TRUE(from.ok() && to.ok() && other.ok());
  EXPECT_EQ(from->account.balance(), 70);
  EXPECT_EQ(from->account.version(), 2u);
  EXPECT_EQ(from->initial_balance, 100);
  EXPECT_EQ(from->account.owner(), "payer's owner");
  EXPECT_EQ(to->account.balance(), 35);
  EXPECT_EQ(to->account.version(), 2u);
  EXPECT_EQ(to->initial_balance, 5);
  EXPECT_EQ(to->account.owner(), "payee's owner");
  EXPECT_EQ(other->account.balance(), 40);
  EXPECT_EQ(other->account.version(), 1u);

  for (const std::string& side : {payer, payee}) {
    std::vector<v1::TransferReceipt> journal = Journal(side);
    ASSERT_EQ(journal.size(), 1u) << side;
    EXPECT_TRUE(Same(journal[0], *receipt));
  }
  EXPECT_TRUE(Journal(bystander).empty());
}

TEST_P(StoreConformance, ThePayerMayPayItsWholeBalanceAndNoMore) {
  const std::string payer = Id("payer");
  const std::string payee = Id("payee");
  ASSERT_TRUE(Open(payer, 50).ok());
  ASSERT_TRUE(Open(payee, 0).ok());

  EXPECT_EQ(Commit(Id("too-much"), payer, payee, 51).status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<v1::TransferReceipt> all = Commit(Id("all"), payer, payee, 50);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->from_balance(), 0);
  EXPECT_EQ(all->to_balance(), 50);
  EXPECT_EQ(Commit(Id("one-more"), payer, payee, 1).status().code(),
            absl::StatusCode::kFailedPrecondition);

  absl::StatusOr<AccountRecord> from = Get(payer);
  absl::StatusOr<AccountRecord> to = Get(payee);
  ASSERT_TRUE(from.ok() && to.ok());
  EXPECT_EQ(from->account.balance(), 0);
  EXPECT_EQ(from->account.version(), 2u);
  EXPECT_EQ(to->account.balance(), 50);
  EXPECT_EQ(to->account.version(), 2u);
  EXPECT_EQ(Journal(payer).size(), 1u);
}

TEST_P(StoreConformance, ThePayeesBalanceMayNotOverflow) {
  const std::string payer = Id("payer");
  const std::string payee = Id("payee");
  ASSERT_TRUE(Open(payer, 100).ok());
  ASSERT_TRUE(Open(payee, kMaxBalance - 10).ok());

  EXPECT_EQ(Commit(Id("overflow"), payer, payee, 11).status().code(),
            absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<v1::TransferReceipt> to_the_brim = Commit(Id("brim"), payer, payee, 10);
  ASSERT_TRUE(to_the_brim.ok()) << to_the_brim.status();
  EXPECT_EQ(to_the_brim->to_balance(), kMaxBalance);
  EXPECT_EQ(Commit(Id("one-more"), payer, payee, 1).status().code(),
            absl::StatusCode::kFailedPrecondition);

  absl::StatusOr<AccountRecord> from = Get(payer);
  absl::StatusOr<AccountRecord> to = Get(payee);
  ASSERT_TRUE(from.ok() && to.ok());
  EXPECT_EQ(from->account.balance(), 90);
  EXPECT_EQ(to->account.balance(), kMaxBalance);
  EXPECT_EQ(to->account.version(), 2u);
}

TEST_P(StoreConformance, ATransferWithAnUnknownAccountIsNotFoundAndMovesNothing) {
  const std::string known = Id("known");
  ASSERT_TRUE(Open(known, 100).ok());
  EXPECT_EQ(Commit(Id("to-nobody"), known, Id("nobody"), 10).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Commit(Id("from-nobody"), Id("nobody"), known, 10).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Commit(Id("nobody-at-all"), Id("nobody"), Id("no-one"), 10).status().code(),
            absl::StatusCode::kNotFound);

  absl::StatusOr<AccountRecord> record = Get(known);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->account.balance(), 100);
  EXPECT_EQ(record->account.version(), 1u);
  EXPECT_TRUE(Journal(known).empty());
  EXPECT_EQ(Get(Id("nobody")).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(StoreConformance, OnlyThePayersOwnerOrAdminMayDebitItAndARefusalMovesNothing) {
  const Caller alice{.principal = "alice"};
  const Caller bob{.principal = "bob"};
  const Caller nobody{.principal = ""};
  const Caller ops{.principal = "ops", .admin = true};
  const std::string payer = Id("alices");
  const std::string payee = Id("bobs");
  const std::string unowned = Id("unowned");
  ASSERT_TRUE(Open(payer, 100, "alice").ok());
  ASSERT_TRUE(Open(payee, 0, "bob").ok());
  ASSERT_TRUE(Open(unowned, 100, "").ok());

  const absl::Status stolen = Commit(Id("steal"), payer, payee, 10, bob).status();
  EXPECT_EQ(stolen.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(stolen.message(),
            "only the account's owner or the admin role may debit account " + payer);
  EXPECT_EQ(Commit(Id("anonymous"), payer, payee, 10, nobody).status().code(),
            absl::StatusCode::kPermissionDenied);
  // Nobody owns an account opened without an owner, not even a caller without a name.
  EXPECT_EQ(Commit(Id("unowned"), unowned, payee, 10, nobody).status().code(),
            absl::StatusCode::kPermissionDenied);
  // The payer is looked at first: a stranger learns it exists, not whether the payee does.
  EXPECT_EQ(Commit(Id("to-nobody"), payer, Id("nobody"), 10, bob).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Commit(Id("from-nobody"), Id("nobody"), payee, 10, bob).status().code(),
            absl::StatusCode::kNotFound);
  for (const std::string& id : {payer, payee}) {
    absl::StatusOr<AccountRecord> record = Get(id);
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->account.version(), 1u) << id;
    EXPECT_TRUE(Journal(id).empty()) << id;
  }

  absl::StatusOr<v1::TransferReceipt> paid = Commit(Id("pay"), payer, payee, 30, alice);
  ASSERT_TRUE(paid.ok()) << paid.status();
  // Someone else's retry of it is refused, not answered with its receipt.
  EXPECT_EQ(Commit(Id("pay"), payer, payee, 30, bob).status().code(),
            absl::StatusCode::kPermissionDenied);
  // A refused request_id was not claimed: its owner may use it.
  ASSERT_TRUE(Commit(Id("steal"), payer, payee, 10, alice).ok());
  ASSERT_TRUE(Commit(Id("by-admin"), payer, payee, 10, ops).ok());
  ASSERT_TRUE(Commit(Id("unowned-by-admin"), unowned, payee, 10, ops).ok());

  absl::StatusOr<AccountRecord> from = Get(payer);
  absl::StatusOr<AccountRecord> to = Get(payee);
  ASSERT_TRUE(from.ok() && to.ok());
  EXPECT_EQ(from->account.balance(), 50);
  EXPECT_EQ(from->account.version(), 4u);
  EXPECT_EQ(to->account.balance(), 60);
  EXPECT_EQ(to->account.version(), 5u);
}

// --- Idempotency -------------------------------------------------------------

TEST_P(StoreConformance, ARetryReturnsTheOriginalReceiptAndMovesNothing) {
  const std::string payer = Id("payer");
  const std::string payee = Id("payee");
  ASSERT_TRUE(Open(payer, 100).ok());
  ASSERT_TRUE(Open(payee, 0).ok());
  absl::StatusOr<v1::TransferReceipt> original = Commit(Id("pay"), payer, payee, 60);
  ASSERT_TRUE(original.ok()) << original.status();

  absl::StatusOr<v1::TransferReceipt> retry = Commit(Id("pay"), payer, payee, 60);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(Same(*retry, *original));

  // Still the original, even once the payer could no longer cover it.
  ASSERT_TRUE(Commit(Id("drain"), payer, payee, 40).ok());
  retry = Commit(Id("pay"), payer, payee, 60);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(Same(*retry, *original));

  absl::StatusOr<AccountRecord> from = Get(payer);
  absl::StatusOr<AccountRecord> to = Get(payee);
  ASSERT_TRUE(from.ok() && to.ok());
  EXPECT_EQ(from->account.balance(), 0);
  EXPECT_EQ(from->account.version(), 3u);
  EXPECT_EQ(to->account.balance(), 100);
  EXPECT_EQ(to->account.version(), 3u);
  std::vector<v1::TransferReceipt> journal = Journal(payer);
  ASSERT_EQ(journal.size(), 2u);
  EXPECT_TRUE(Same(journal[0], *original));
}

TEST_P(StoreConformance, ReusingARequestIdForAnotherTransferIsAlreadyExists) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  const std::string c = Id("c");
  ASSERT_TRUE(Open(a, 100).ok());
  ASSERT_TRUE(Open(b, 100).ok());
  ASSERT_TRUE(Open(c, 100).ok());
  absl::StatusOr<v1::TransferReceipt> original = Commit(Id("once"), a, b, 10);
  ASSERT_TRUE(original.ok()) << original.status();

  EXPECT_EQ(Commit(Id("once"), a, b, 11).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Commit(Id("once"), a, c, 10).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Commit(Id("once"), c, b, 10).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Commit(Id("once"), b, a, 10).status().code(), absl::StatusCode::kAlreadyExists);

  for (const auto& [id, balance] :
       std::vector<std::pair<std::string, int64_t>>{{a, 90}, {b, 110}, {c, 100}}) {
    absl::StatusOr<AccountRecord> record = Get(id);
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->account.balance(), balance) << id;
    EXPECT_EQ(record->account.version(), id == c ? 1u : 2u) << id;
  }
  absl::StatusOr<v1::TransferReceipt> retry = Commit(Id("once"), a, b, 10);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(Same(*retry, *original));
}

TEST_P(StoreConformance, OnlyACommitClaimsItsRequestId) {
  const std::string payer = Id("payer");
  const std::string payee = Id("payee");
  ASSERT_TRUE(Open(payer, 10).ok());
  ASSERT_TRUE(Open(payee, 100).ok());

  // Refused for want of funds, then sent again once the payer has them.
  EXPECT_EQ(Commit(Id("later"), payer, payee, 50).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Commit(Id("top-up"), payee, payer, 40).ok());
  absl::StatusOr<v1::TransferReceipt> later = Commit(Id("later"), payer, payee, 50);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->from_balance(), 0);

  // Refused for a missing payee, then sent again once it exists.
  const std::string newcomer = Id("newcomer");
  EXPECT_EQ(Commit(Id("welcome"), payee, newcomer, 5).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(Open(newcomer, 0).ok());
  absl::StatusOr<v1::TransferReceipt> welcome = Commit(Id("welcome"), payee, newcomer, 5);
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  EXPECT_EQ(welcome->to_balance(), 5);
}

// --- Cancellation ------------------------------------------------------------

TEST_P(StoreConformance, ACancelledOrLateCallGivesUpAndChangesNothing) {
  const std::string payer = Id("payer");
  const std::string payee = Id("payee");
  ASSERT_TRUE(Open(payer, 100).ok());
  ASSERT_TRUE(Open(payee, 0).ok());

  std::stop_source stop;
  stop.request_stop();
  const coro::Cancellation cancelled(stop.get_token(), absl::InfiniteFuture());
  const coro::Cancellation late(std::stop_token(), absl::Now() - absl::Seconds(1));
  for (const auto& [cancellation, code] : {std::pair{&cancelled, absl::StatusCode::kCancelled},
                                           std::pair{&late, absl::StatusCode::kDeadlineExceeded}}) {
    SCOPED_TRACE(absl::StatusCodeToString(code));
    EXPECT_EQ(Await(store().OpenAccount(Id("fresh"), "", 5, *cancellation)).status().code(), code);
    EXPECT_EQ(Await(store().GetAccount(payer, *cancellation)).status().code(), code);
    EXPECT_EQ(Await(store().CommitTransfer(Request(Id("pay"), payer, payee, 10), AnyCaller(),
                                           *cancellation))
                  .status()
                  .code(),
              code);
    EXPECT_EQ(Await(store().ListTransfers(payer, 0, 10, *cancellation)).status().code(), code);
  }

  EXPECT_EQ(Get(Id("fresh")).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<AccountRecord> record = Get(payer);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->account.balance(), 100);
  EXPECT_EQ(record->account.version(), 1u);
  EXPECT_TRUE(Journal(payer).empty());
  // Giving up claimed nothing: the request commits when sent again.
  absl::StatusOr<v1::TransferReceipt> receipt = Commit(Id("pay"), payer, payee, 10);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->from_balance(), 90);
}

}  // namespace ledger::conformance
