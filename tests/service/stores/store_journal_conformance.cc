// The store contract for versions, sequences and the journal: what Audit
// and ListTransfers build on.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/service/stores/store_conformance.h"

namespace ledger::conformance {
namespace {

std::vector<uint64_t> Sequences(const std::vector<v1::TransferReceipt>& entries) {
  std::vector<uint64_t> sequences;
  for (const v1::TransferReceipt& entry : entries) sequences.push_back(entry.sequence());
  return sequences;
}

}  // namespace

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

}  // namespace ledger::conformance
