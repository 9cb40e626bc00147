// The store contract under concurrent calls, as the harness runs them (many
// threads, or many coroutines suspended in the store at once). Which call wins
// a race is up to the machine; every assertion holds whichever does, and none
// measures time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/service/stores/store_conformance.h"

namespace ledger::conformance {
namespace {

// The balance an entry recorded for `account_id` right after it committed.
int64_t RecordedBalance(const v1::TransferReceipt& entry, const std::string& account_id) {
  return entry.from_id() == account_id ? entry.from_balance() : entry.to_balance();
}

int64_t SignedAmount(const v1::TransferReceipt& entry, const std::string& account_id) {
  return entry.from_id() == account_id ? -entry.amount() : entry.amount();
}

struct Outcome {
  int64_t amount = 0;
  std::optional<absl::StatusOr<v1::TransferReceipt>> result;
};

coro::Task<void> CommitInto(LedgerStore& store, v1::TransferRequest request,
                            const coro::Cancellation& cancellation, Outcome& outcome) {
  outcome.amount = request.amount();
  outcome.result.emplace(
      co_await store.CommitTransfer(std::move(request), AnyCaller(), cancellation));
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
    tasks.push_back(CommitInto(store(), Request(Id(absl::StrCat("t", i)), payer, payee, 1 + i),
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
    tasks.push_back(CommitInto(store(), Request(Id("once"), payer, payee, i % 4 ? 10 : 7),
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
  std::string owner = absl::StrCat("owner-", initial_balance);
  result.emplace(
      co_await store.OpenAccount(std::move(id), std::move(owner), initial_balance, cancellation));
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
  EXPECT_EQ(record->account.owner(), absl::StrCat("owner-", winning_balance));
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
    absl::StatusOr<v1::TransferReceipt> receipt = co_await store.CommitTransfer(
        Request(absl::StrCat(request_prefix, "-", i), accounts[from], accounts[to], amount(random)),
        AnyCaller(), cancellation);
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
