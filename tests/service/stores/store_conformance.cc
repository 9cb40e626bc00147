// The LedgerStore contract, rule by rule, then under concurrency. Each test
// asserts exact outcomes, or invariants that hold whatever the interleaving;
// none measures time.
#include "tests/service/stores/store_conformance.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stop_token>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coro/alarm.h"
#include "coro/detached.h"
#include "coro/sync_wait.h"

namespace ledger::conformance {

std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

void RunOnThreads(std::vector<coro::Task<void>> tasks, int threads) {
  if (tasks.size() == 1) {
    coro::SyncWait(std::move(tasks.front()));
    return;
  }
  const size_t stride = std::min<size_t>(std::max(threads, 1), tasks.size());
  std::vector<std::thread> running;
  for (size_t first = 0; first < stride; ++first) {
    running.emplace_back([&tasks, first, stride] {
      for (size_t i = first; i < tasks.size(); i += stride) coro::SyncWait(std::move(tasks[i]));
    });
  }
  for (std::thread& thread : running) thread.join();
}

namespace {

// Counts finished tasks down to zero; the notify happens under the lock, so
// the waiter may destroy it as soon as Wait() returns.
class Countdown {
 public:
  explicit Countdown(size_t count) : left_(count) {}
  void CountDown() {
    std::lock_guard lock(mutex_);
    if (--left_ == 0) finished_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [this] { return left_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable finished_;
  size_t left_;
};

coro::Detached RunOnQueue(grpc::CompletionQueue* queue, coro::CompletionQueueThreads::KeepAlive,
                          coro::Task<void> task, Countdown& done) {
  co_await coro::ResumeOn(queue);
  co_await std::move(task);
  done.CountDown();
}

}  // namespace

void RunOnQueues(coro::CompletionQueueThreads& queues, std::vector<coro::Task<void>> tasks) {
  Countdown done(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    RunOnQueue(queues.queue(static_cast<int>(i % queues.size())), queues.keep_alive(),
               std::move(tasks[i]), done);
  }
  done.Wait();
}

namespace {

using ::google::protobuf::util::MessageDifferencer;

constexpr int64_t kMaxBalance = std::numeric_limits<int64_t>::max();

template <typename T>
coro::Task<void> AwaitInto(coro::Task<T> task, std::optional<T>& result) {
  result.emplace(co_await std::move(task));
}

template <typename T>
T AwaitOne(StoreHarness& harness, coro::Task<T> task) {
  std::optional<T> result;
  std::vector<coro::Task<void>> tasks;
  tasks.push_back(AwaitInto(std::move(task), result));
  harness.RunAll(std::move(tasks));
  return std::move(*result);
}

::testing::AssertionResult Same(const google::protobuf::Message& actual,
                                const google::protobuf::Message& expected) {
  if (MessageDifferencer::Equals(actual, expected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "{" << actual.ShortDebugString() << "}\n  differs from {"
                                       << expected.ShortDebugString() << "}";
}

// The balance an entry recorded for `account_id` right after it committed.
int64_t RecordedBalance(const v1::TransferReceipt& entry, const std::string& account_id) {
  return entry.from_id() == account_id ? entry.from_balance() : entry.to_balance();
}

int64_t SignedAmount(const v1::TransferReceipt& entry, const std::string& account_id) {
  return entry.from_id() == account_id ? -entry.amount() : entry.amount();
}

v1::TransferRequest MakeRequest(const std::string& request_id, const std::string& from_id,
                                const std::string& to_id, int64_t amount) {
  v1::TransferRequest request;
  request.set_request_id(request_id);
  request.set_from_id(from_id);
  request.set_to_id(to_id);
  request.set_amount(amount);
  return request;
}

std::vector<uint64_t> Sequences(const std::vector<v1::TransferReceipt>& entries) {
  std::vector<uint64_t> sequences;
  for (const v1::TransferReceipt& entry : entries) sequences.push_back(entry.sequence());
  return sequences;
}

}  // namespace

void StoreConformance::SetUp() {
  harness_ = GetParam().make();
  ASSERT_NE(harness_, nullptr);
  std::random_device random;
  run_tag_ = absl::StrCat(absl::Hex(random(), absl::kZeroPad8), absl::Hex(random()));
}

void StoreConformance::TearDown() { harness_.reset(); }

std::string StoreConformance::Id(const std::string& name) const {
  return absl::StrCat(name, "-", run_tag_);
}

absl::StatusOr<v1::Account> StoreConformance::Open(const std::string& id, int64_t initial_balance) {
  return AwaitOne(harness(), store().OpenAccount(id, initial_balance, never_cancelled_));
}

absl::StatusOr<AccountRecord> StoreConformance::Get(const std::string& id) {
  return AwaitOne(harness(), store().GetAccount(id, never_cancelled_));
}

absl::StatusOr<v1::TransferReceipt> StoreConformance::Commit(const std::string& request_id,
                                                             const std::string& from_id,
                                                             const std::string& to_id,
                                                             int64_t amount) {
  return AwaitOne(harness(), store().CommitTransfer(MakeRequest(request_id, from_id, to_id, amount),
                                                    never_cancelled_));
}

absl::StatusOr<std::vector<v1::TransferReceipt>> StoreConformance::List(
    const std::string& account_id, uint64_t after_sequence, int max_count) {
  return AwaitOne(harness(),
                  store().ListTransfers(account_id, after_sequence, max_count, never_cancelled_));
}

std::vector<v1::TransferReceipt> StoreConformance::Journal(const std::string& account_id) {
  constexpr int kPage = 7;
  std::vector<v1::TransferReceipt> journal;
  for (;;) {
    const uint64_t after = journal.empty() ? 0 : journal.back().sequence();
    absl::StatusOr<std::vector<v1::TransferReceipt>> page = List(account_id, after, kPage);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return journal;
    EXPECT_LE(page->size(), static_cast<size_t>(kPage));
    journal.insert(journal.end(), page->begin(), page->end());
    if (page->size() < kPage) return journal;
  }
}

// --- Accounts ---------------------------------------------------------------

TEST_P(StoreConformance, AnOpenedAccountStartsAtVersionOneWithItsInitialBalance) {
  const std::string rich = Id("rich");
  const std::string empty = Id("empty");
  absl::StatusOr<v1::Account> opened = Open(rich, 250);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->id(), rich);
  EXPECT_EQ(opened->balance(), 250);
  EXPECT_EQ(opened->version(), 1u);
  ASSERT_TRUE(Open(empty, 0).ok());

  absl::StatusOr<AccountRecord> record = Get(rich);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE(Same(record->account, *opened));
  EXPECT_EQ(record->initial_balance, 250);
  record = Get(empty);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->account.balance(), 0);
  EXPECT_EQ(record->account.version(), 1u);
  EXPECT_EQ(record->initial_balance, 0);

  absl::StatusOr<std::vector<v1::TransferReceipt>> journal = List(rich, 0, 10);
  ASSERT_TRUE(journal.ok()) << journal.status();
  EXPECT_TRUE(journal->empty());
}

TEST_P(StoreConformance, OpeningATakenIdIsAlreadyExistsAndLeavesTheAccountAsItWas) {
  const std::string id = Id("taken");
  ASSERT_TRUE(Open(id, 100).ok());
  const std::string other = Id("other");
  ASSERT_TRUE(Open(other, 50).ok());
  ASSERT_TRUE(Commit(Id("move"), id, other, 30).ok());

  EXPECT_EQ(Open(id, 999).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Open(id, 70).status().code(), absl::StatusCode::kAlreadyExists);

  absl::StatusOr<AccountRecord> record = Get(id);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->account.balance(), 70);
  EXPECT_EQ(record->account.version(), 2u);
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
  ASSERT_TRUE(Open(payer, 100).ok());
  ASSERT_TRUE(Open(payee, 5).ok());
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
  EXPECT_EQ(to->account.balance(), 35);
  EXPECT_EQ(to->account.version(), 2u);
  EXPECT_EQ(to->initial_balance, 5);
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

// --- Versions, sequences and the journal ------------------------------------

TEST_P(StoreConformance, AVersionGrowsByOnePerCommittedTransferTouchingTheAccount) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  const std::string c = Id("c");
  ASSERT_TRUE(Open(a, 100).ok());
  ASSERT_TRUE(Open(b, 100).ok());
  ASSERT_TRUE(Open(c, 100).ok());
  ASSERT_TRUE(Commit(Id("1"), a, b, 10).ok());                              // a b
  ASSERT_TRUE(Commit(Id("2"), b, c, 10).ok());                              // b c
  ASSERT_FALSE(Commit(Id("3"), c, a, 1000).ok());                           // refused
  ASSERT_TRUE(Commit(Id("1"), a, b, 10).ok());                              // a retry
  ASSERT_FALSE(Commit(Id("1"), a, c, 10).ok());                             // reused id
  ASSERT_TRUE(Commit(Id("4"), c, a, 5).ok());                               // c a
  ASSERT_TRUE(Commit(Id("5"), a, b, 1).ok());                               // a b
  ASSERT_FALSE(Commit(Id("6"), a, Id("nobody"), 1).ok());                   // unknown
  EXPECT_EQ(Open(a, 1).status().code(), absl::StatusCode::kAlreadyExists);  // taken
  for (const auto& [id, version] :
       std::vector<std::pair<std::string, uint64_t>>{{a, 4}, {b, 4}, {c, 3}}) {
    absl::StatusOr<AccountRecord> record = Get(id);
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->account.version(), version) << id;
    EXPECT_EQ(Journal(id).size(), version - 1) << id;
  }
}

TEST_P(StoreConformance, SequencesAreUniqueAndGrowFromOneCommitToTheNext) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  const std::string c = Id("c");
  const std::string d = Id("d");
  for (const std::string& id : {a, b, c, d}) ASSERT_TRUE(Open(id, 1000).ok());
  // Each commit starts after the one before returned, on disjoint accounts
  // too, so each has the larger sequence.
  const std::vector<std::pair<std::string, std::string>> pairs = {{a, b}, {c, d}, {b, a}, {d, c},
                                                                  {a, c}, {b, d}, {c, a}, {d, b}};
  uint64_t last = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    absl::StatusOr<v1::TransferReceipt> receipt =
        Commit(Id(absl::StrCat("t", i)), pairs[i].first, pairs[i].second, 1 + i);
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    EXPECT_GT(receipt->sequence(), last) << "transfer " << i;
    last = receipt->sequence();
  }
}

TEST_P(StoreConformance, TheJournalListsTheAccountsTransfersOldestFirst) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  const std::string c = Id("c");
  for (const std::string& id : {a, b, c}) ASSERT_TRUE(Open(id, 100).ok());
  std::map<std::string, std::vector<v1::TransferReceipt>> expected;
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {a, b}, {b, c}, {c, a}, {a, c}, {b, a}, {c, b}, {b, c}, {a, b}, {a, c}};
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& [from, to] = pairs[i];
    absl::StatusOr<v1::TransferReceipt> receipt = Commit(Id(absl::StrCat("t", i)), from, to, 3);
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    expected[from].push_back(*receipt);
    expected[to].push_back(*receipt);
  }
  for (const std::string& id : {a, b, c}) {
    std::vector<v1::TransferReceipt> journal = Journal(id);
    ASSERT_EQ(journal.size(), expected[id].size()) << id;
    for (size_t i = 0; i < journal.size(); ++i) {
      EXPECT_TRUE(Same(journal[i], expected[id][i])) << id << " entry " << i;
    }
    absl::StatusOr<AccountRecord> record = Get(id);
    ASSERT_TRUE(record.ok());
    EXPECT_EQ(record->account.version(), journal.size() + 1) << id;
  }
}

TEST_P(StoreConformance, ListTransfersPagesAfterASequenceAtMostMaxCount) {
  const std::string a = Id("a");
  const std::string b = Id("b");
  const std::string c = Id("c");
  const std::string quiet = Id("quiet");
  for (const std::string& id : {a, b, c, quiet}) ASSERT_TRUE(Open(id, 1000).ok());
  // Ten transfers touching a, with one between b and c after the fifth.
  std::vector<v1::TransferReceipt> mine;
  uint64_t elsewhere = 0;
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<v1::TransferReceipt> receipt =
        Commit(Id(absl::StrCat("t", i)), i % 2 ? a : b, i % 2 ? b : a, 10 + i);
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    mine.push_back(*receipt);
    if (i == 4) {
      absl::StatusOr<v1::TransferReceipt> other = Commit(Id("elsewhere"), b, c, 1);
      ASSERT_TRUE(other.ok()) << other.status();
      elsewhere = other->sequence();
    }
  }
  auto expect_page = [&](uint64_t after, int max_count, size_t first, size_t count) {
    SCOPED_TRACE(absl::StrCat("after ", after, ", max_count ", max_count));
    absl::StatusOr<std::vector<v1::TransferReceipt>> page = List(a, after, max_count);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_EQ(page->size(), count);
    for (size_t i = 0; i < count; ++i) EXPECT_TRUE(Same((*page)[i], mine[first + i]));
  };
  expect_page(0, 100, 0, 10);
  expect_page(0, 10, 0, 10);
  expect_page(0, 3, 0, 3);
  expect_page(mine[2].sequence(), 3, 3, 3);
  expect_page(mine[5].sequence(), 3, 6, 3);
  expect_page(mine[8].sequence(), 3, 9, 1);
  expect_page(mine[9].sequence(), 3, 0, 0);
  expect_page(mine[9].sequence() + 1000, 3, 0, 0);
  expect_page(0, 0, 0, 0);
  expect_page(mine[4].sequence(), 0, 0, 0);
  // A sequence that is not in the account's journal: what comes after it.
  expect_page(elsewhere, 100, 5, 5);
  expect_page(elsewhere - 1, 1, 5, 1);

  // Page after page, each from the last sequence of the one before.
  std::vector<uint64_t> walked;
  uint64_t after = 0;
  for (;;) {
    absl::StatusOr<std::vector<v1::TransferReceipt>> page = List(a, after, 4);
    ASSERT_TRUE(page.ok()) << page.status();
    if (page->empty()) break;
    for (const v1::TransferReceipt& entry : *page) walked.push_back(entry.sequence());
    after = page->back().sequence();
  }
  EXPECT_EQ(walked, Sequences(mine));

  absl::StatusOr<std::vector<v1::TransferReceipt>> none = List(quiet, 0, 10);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(List(Id("nobody"), 0, 10).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(List(Id("nobody"), 0, 0).status().code(), absl::StatusCode::kNotFound);
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
    EXPECT_EQ(
        AwaitOne(harness(), store().OpenAccount(Id("fresh"), 5, *cancellation)).status().code(),
        code);
    EXPECT_EQ(AwaitOne(harness(), store().GetAccount(payer, *cancellation)).status().code(), code);
    EXPECT_EQ(AwaitOne(harness(), store().CommitTransfer(MakeRequest(Id("pay"), payer, payee, 10),
                                                         *cancellation))
                  .status()
                  .code(),
              code);
    EXPECT_EQ(
        AwaitOne(harness(), store().ListTransfers(payer, 0, 10, *cancellation)).status().code(),
        code);
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

namespace {

struct Outcome {
  int64_t amount = 0;
  std::optional<absl::StatusOr<v1::TransferReceipt>> result;
};

coro::Task<void> CommitInto(LedgerStore& store, v1::TransferRequest request,
                            const coro::Cancellation& cancellation, Outcome& outcome) {
  outcome.amount = request.amount();
  outcome.result.emplace(co_await store.CommitTransfer(std::move(request), cancellation));
}

coro::Task<void> RequestStop(std::stop_source& stop) {
  stop.request_stop();
  co_return;
}

}  // namespace

// Cancellation racing the commit, at whatever point each call has reached:
// every call that says CANCELLED committed nothing, and every commit answered
// with its receipt.
TEST_P(StoreConformance, ACallCancelledWhileItRunsEitherCommitsAndSaysSoOrCommitsNothing) {
  constexpr int kTransfers = 64;
  const std::string payer = Id("payer");
  const std::string payee = Id("payee");
  ASSERT_TRUE(Open(payer, 1'000'000).ok());
  ASSERT_TRUE(Open(payee, 0).ok());

  std::vector<std::stop_source> stops(kTransfers);
  std::vector<coro::Cancellation> cancellations;
  for (std::stop_source& stop : stops) {
    cancellations.emplace_back(stop.get_token(), absl::InfiniteFuture());
  }
  std::vector<Outcome> outcomes(kTransfers);
  std::vector<coro::Task<void>> tasks;
  for (int i = 0; i < kTransfers; ++i) {
    tasks.push_back(CommitInto(store(), MakeRequest(Id(absl::StrCat("t", i)), payer, payee, 1 + i),
                               cancellations[i], outcomes[i]));
    tasks.push_back(RequestStop(stops[i]));
  }
  harness().RunAll(std::move(tasks));

  std::set<std::string> answered_committed;
  int64_t paid = 0;
  for (const Outcome& outcome : outcomes) {
    ASSERT_TRUE(outcome.result.has_value());
    const absl::StatusOr<v1::TransferReceipt>& result = *outcome.result;
    if (result.ok()) {
      answered_committed.insert(result->request_id());
      paid += outcome.amount;
    } else {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled) << result.status();
    }
  }
  std::set<std::string> committed;
  for (const v1::TransferReceipt& entry : Journal(payer)) committed.insert(entry.request_id());
  EXPECT_EQ(committed, answered_committed);
  absl::StatusOr<AccountRecord> from = Get(payer);
  absl::StatusOr<AccountRecord> to = Get(payee);
  ASSERT_TRUE(from.ok() && to.ok());
  EXPECT_EQ(from->account.balance(), 1'000'000 - paid);
  EXPECT_EQ(to->account.balance(), paid);
  EXPECT_EQ(from->account.version(), 1 + committed.size());
}

// --- Concurrency -------------------------------------------------------------

TEST_P(StoreConformance, ConcurrentRetriesOfOneRequestCommitItExactlyOnce) {
  constexpr int kCallers = 64;
  const std::string payer = Id("payer");
  const std::string payee = Id("payee");
  ASSERT_TRUE(Open(payer, 1000).ok());
  ASSERT_TRUE(Open(payee, 0).ok());

  // Every fourth caller reuses the request_id for a different amount; which
  // transfer wins is up to the race, but only one of them commits.
  std::vector<Outcome> outcomes(kCallers);
  std::vector<coro::Task<void>> tasks;
  for (int i = 0; i < kCallers; ++i) {
    tasks.push_back(CommitInto(store(), MakeRequest(Id("once"), payer, payee, i % 4 ? 10 : 7),
                               never_cancelled_, outcomes[i]));
  }
  harness().RunAll(std::move(tasks));

  std::optional<v1::TransferReceipt> winner;
  for (const Outcome& outcome : outcomes) {
    ASSERT_TRUE(outcome.result.has_value());
    if (outcome.result->ok() && !winner) winner = **outcome.result;
  }
  ASSERT_TRUE(winner.has_value()) << "no caller committed";
  for (int i = 0; i < kCallers; ++i) {
    const absl::StatusOr<v1::TransferReceipt>& result = *outcomes[i].result;
    if (outcomes[i].amount == winner->amount()) {
      ASSERT_TRUE(result.ok()) << "caller " << i << ": " << result.status();
      EXPECT_TRUE(Same(*result, *winner)) << "caller " << i;
    } else {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kAlreadyExists)
          << "caller " << i << ": " << result.status();
    }
  }

  absl::StatusOr<AccountRecord> from = Get(payer);
  absl::StatusOr<AccountRecord> to = Get(payee);
  ASSERT_TRUE(from.ok() && to.ok());
  EXPECT_EQ(from->account.balance(), 1000 - winner->amount());
  EXPECT_EQ(from->account.version(), 2u);
  EXPECT_EQ(to->account.balance(), winner->amount());
  EXPECT_EQ(to->account.version(), 2u);
  std::vector<v1::TransferReceipt> journal = Journal(payer);
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_TRUE(Same(journal[0], *winner));
}

namespace {

coro::Task<void> OpenInto(LedgerStore& store, std::string id, int64_t initial_balance,
                          const coro::Cancellation& cancellation,
                          std::optional<absl::StatusOr<v1::Account>>& result) {
  result.emplace(co_await store.OpenAccount(std::move(id), initial_balance, cancellation));
}

}  // namespace

TEST_P(StoreConformance, ConcurrentOpensOfOneIdOpenItExactlyOnce) {
  constexpr int kCallers = 32;
  const std::string id = Id("contested");
  std::vector<std::optional<absl::StatusOr<v1::Account>>> results(kCallers);
  std::vector<coro::Task<void>> tasks;
  for (int i = 0; i < kCallers; ++i) {
    tasks.push_back(OpenInto(store(), id, 100 + i, never_cancelled_, results[i]));
  }
  harness().RunAll(std::move(tasks));

  int opened = 0;
  int64_t winning_balance = -1;
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value());
    if (result->ok()) {
      ++opened;
      winning_balance = (*result)->balance();
    } else {
      EXPECT_EQ(result->status().code(), absl::StatusCode::kAlreadyExists) << result->status();
    }
  }
  EXPECT_EQ(opened, 1);
  absl::StatusOr<AccountRecord> record = Get(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->account.balance(), winning_balance);
  EXPECT_EQ(record->initial_balance, winning_balance);
  EXPECT_EQ(record->account.version(), 1u);
}

namespace {

struct Receipts {
  std::mutex mutex;
  std::vector<v1::TransferReceipt> committed;
  int refused = 0;
};

// `count` transfers of random amounts between random pairs of `accounts`, one
// after another, each awaited as Ledger awaits it.
coro::Task<void> TransferRandomly(LedgerStore& store, const std::vector<std::string>& accounts,
                                  std::string request_prefix, uint32_t seed, int count,
                                  const coro::Cancellation& cancellation, Receipts& receipts) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<size_t> pick(0, accounts.size() - 1);
  std::uniform_int_distribution<int64_t> amount(1, 400);
  for (int i = 0; i < count; ++i) {
    const size_t from = pick(random);
    size_t to = pick(random);
    if (to == from) to = (to + 1) % accounts.size();
    absl::StatusOr<v1::TransferReceipt> receipt =
        co_await store.CommitTransfer(MakeRequest(absl::StrCat(request_prefix, "-", i),
                                                  accounts[from], accounts[to], amount(random)),
                                      cancellation);
    std::lock_guard lock(receipts.mutex);
    if (receipt.ok()) {
      receipts.committed.push_back(*std::move(receipt));
    } else {
      EXPECT_EQ(receipt.status().code(), absl::StatusCode::kFailedPrecondition) << receipt.status();
      ++receipts.refused;
    }
  }
}

// What Audit does, while transfers commit: read the account, then the first
// version - 1 entries of its journal, which must be exactly what the balance
// reflects.
coro::Task<void> ReadSnapshots(LedgerStore& store, std::string account_id, int rounds,
                               const coro::Cancellation& cancellation) {
  for (int round = 0; round < rounds; ++round) {
    absl::StatusOr<AccountRecord> record = co_await store.GetAccount(account_id, cancellation);
    EXPECT_TRUE(record.ok()) << record.status();
    if (!record.ok()) co_return;
    const uint64_t reflected = record->account.version() - 1;
    std::vector<v1::TransferReceipt> entries;
    while (entries.size() < reflected) {
      const int wanted = static_cast<int>(std::min<uint64_t>(5, reflected - entries.size()));
      absl::StatusOr<std::vector<v1::TransferReceipt>> page = co_await store.ListTransfers(
          account_id, entries.empty() ? 0 : entries.back().sequence(), wanted, cancellation);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok() || page->empty()) break;
      EXPECT_LE(page->size(), static_cast<size_t>(wanted));
      entries.insert(entries.end(), page->begin(), page->end());
    }
    EXPECT_EQ(entries.size(), reflected)
        << account_id << " at version " << record->account.version();
    int64_t balance = record->initial_balance;
    for (const v1::TransferReceipt& entry : entries) {
      balance += SignedAmount(entry, account_id);
      EXPECT_EQ(RecordedBalance(entry, account_id), balance) << entry.ShortDebugString();
    }
    EXPECT_EQ(balance, record->account.balance())
        << account_id << " at version " << record->account.version();
  }
}

}  // namespace

// Many transfers among a few accounts at once, with readers taking Audit's
// snapshots meanwhile. Whatever the interleaving: money is conserved, each
// version counts its account's journal, each journal is in sequence order and
// replays to the balances its receipts recorded.
TEST_P(StoreConformance, ConcurrentTransfersConserveMoneyAndKeepEachJournalInOrder) {
  constexpr int kAccounts = 4;
  constexpr int64_t kInitialBalance = 1000;
  constexpr int kTransferers = 48;
  constexpr int kTransfersEach = 10;
  constexpr int kReaders = 8;
  constexpr int kReadsEach = 5;
  std::vector<std::string> accounts;
  for (int i = 0; i < kAccounts; ++i) {
    accounts.push_back(Id(absl::StrCat("acct", i)));
    ASSERT_TRUE(Open(accounts.back(), kInitialBalance).ok());
  }

  Receipts receipts;
  std::vector<coro::Task<void>> tasks;
  for (int i = 0; i < kTransferers; ++i) {
    tasks.push_back(TransferRandomly(store(), accounts, Id(absl::StrCat("t", i)),
                                     static_cast<uint32_t>(i), kTransfersEach, never_cancelled_,
                                     receipts));
    if (i % (kTransferers / kReaders) == 0) {
      tasks.push_back(
          ReadSnapshots(store(), accounts[i % kAccounts], kReadsEach, never_cancelled_));
    }
  }
  harness().RunAll(std::move(tasks));
  ASSERT_EQ(receipts.committed.size() + receipts.refused, size_t{kTransferers * kTransfersEach});
  ASSERT_FALSE(receipts.committed.empty());

  std::map<uint64_t, v1::TransferReceipt> by_sequence;
  for (const v1::TransferReceipt& receipt : receipts.committed) {
    EXPECT_TRUE(by_sequence.emplace(receipt.sequence(), receipt).second)
        << "sequence " << receipt.sequence() << " given twice";
  }

  int64_t total = 0;
  std::map<uint64_t, int> listed;  // sequence -> how many journals list it
  for (const std::string& id : accounts) {
    SCOPED_TRACE(id);
    absl::StatusOr<AccountRecord> record = Get(id);
    ASSERT_TRUE(record.ok()) << record.status();
    total += record->account.balance();
    std::vector<v1::TransferReceipt> journal = Journal(id);
    EXPECT_EQ(record->account.version(), 1 + journal.size());
    int64_t balance = kInitialBalance;
    uint64_t last = 0;
    for (const v1::TransferReceipt& entry : journal) {
      EXPECT_GT(entry.sequence(), last);
      last = entry.sequence();
      ASSERT_TRUE(entry.from_id() == id || entry.to_id() == id) << entry.ShortDebugString();
      balance += SignedAmount(entry, id);
      EXPECT_EQ(RecordedBalance(entry, id), balance) << entry.ShortDebugString();
      auto committed = by_sequence.find(entry.sequence());
      ASSERT_NE(committed, by_sequence.end())
          << "listed but never answered: " << entry.ShortDebugString();
      EXPECT_TRUE(Same(entry, committed->second));
      ++listed[entry.sequence()];
    }
    EXPECT_EQ(balance, record->account.balance());
  }
  EXPECT_EQ(total, kAccounts * kInitialBalance);
  EXPECT_EQ(listed.size(), by_sequence.size());
  for (const auto& [sequence, journals] : listed) {
    EXPECT_EQ(journals, 2) << "sequence " << sequence;
  }
}

}  // namespace ledger::conformance
