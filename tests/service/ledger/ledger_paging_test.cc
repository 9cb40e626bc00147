// Ledger's ListTransfers and Audit over a FakeStore: how they page through
// the journal (kListTransfersPageSize at a time, `limit`), and what Audit
// calls consistent.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/ledger/audit_digest.h"
#include "tests/service/ledger/ledger_fixture.h"

namespace ledger::fake {
namespace {

// Sparse sequences, as when other accounts' transfers come in between.
uint64_t SequenceOf(int index) { return 10 + 3 * static_cast<uint64_t>(index); }

// `count` entries of 1 from "payer" to `account_id`.
void AddCredits(FakeStore& store, const std::string& account_id, int count) {
  for (int i = 0; i < count; ++i)
    store.AddEntry(account_id, Entry(SequenceOf(i), "payer", account_id, 1));
}

std::vector<uint64_t> Sequences(const std::vector<v1::TransferReceipt>& receipts) {
  std::vector<uint64_t> sequences;
  for (const v1::TransferReceipt& receipt : receipts) sequences.push_back(receipt.sequence());
  return sequences;
}

std::vector<uint64_t> FirstSequences(int count) {
  std::vector<uint64_t> sequences;
  for (int i = 0; i < count; ++i) sequences.push_back(SequenceOf(i));
  return sequences;
}

using ListCall = FakeStore::ListCall;
constexpr int kPage = kListTransfersPageSize;

// --- ListTransfers --------------------------------------------------------

TEST_F(LedgerTest, ListTransfersReadsTheJournalAPageAtATime) {
  store_.SetAccount("a", 0, 600, 601);
  AddCredits(store_, "a", 600);
  Sink<v1::TransferReceipt> sink;
  ASSERT_TRUE(List("a", 0, sink).ok());
  EXPECT_EQ(Sequences(sink.written()), FirstSequences(600));
  EXPECT_EQ(store_.list_calls(),
            (std::vector<ListCall>{
                {0, kPage}, {SequenceOf(kPage - 1), kPage}, {SequenceOf(2 * kPage - 1), kPage}}));
}

TEST_F(LedgerTest, ListTransfersOfWholePagesEndsAtTheFirstEmptyOne) {
  store_.SetAccount("a", 0, 2 * kPage, 2 * kPage + 1);
  AddCredits(store_, "a", 2 * kPage);
  Sink<v1::TransferReceipt> sink;
  ASSERT_TRUE(List("a", 0, sink).ok());
  EXPECT_EQ(Sequences(sink.written()), FirstSequences(2 * kPage));
  EXPECT_EQ(store_.list_calls(),
            (std::vector<ListCall>{
                {0, kPage}, {SequenceOf(kPage - 1), kPage}, {SequenceOf(2 * kPage - 1), kPage}}));
}

TEST_F(LedgerTest, ListTransfersStopsAtTheLimit) {
  struct Case {
    uint32_t limit;
    int written;
    std::vector<ListCall> calls;
  };
  for (const Case& c : std::vector<Case>{
           {1, 1, {{0, 1}}},
           {kPage, kPage, {{0, kPage}}},
           {300, 300, {{0, kPage}, {SequenceOf(kPage - 1), 300 - kPage}}},
           {2 * kPage, 2 * kPage, {{0, kPage}, {SequenceOf(kPage - 1), kPage}}},
           {600,
            600,
            {{0, kPage}, {SequenceOf(kPage - 1), kPage}, {SequenceOf(2 * kPage - 1), 88}}},
           {1000,
            600,
            {{0, kPage}, {SequenceOf(kPage - 1), kPage}, {SequenceOf(2 * kPage - 1), kPage}}},
       }) {
    SCOPED_TRACE(absl::StrCat("limit ", c.limit));
    FakeStore store;
    store.SetAccount("a", 0, 600, 601);
    AddCredits(store, "a", 600);
    Ledger ledger(store, workers_);
    Sink<v1::TransferReceipt> sink;
    v1::ListTransfersRequest request;
    request.set_account_id("a");
    request.set_limit(c.limit);
    auto write = [&sink](const v1::TransferReceipt& receipt) { return sink.Write(receipt); };
    ASSERT_TRUE(
        coro::SyncWait(ledger.ListTransfers(Caller::Anyone(), request, write, coro::Cancellation()))
            .ok());
    EXPECT_EQ(Sequences(sink.written()), FirstSequences(c.written));
    EXPECT_EQ(store.list_calls(), c.calls);
  }
}

TEST_F(LedgerTest, ListTransfersOfAnEmptyJournalWritesNothing) {
  store_.SetAccount("a", 10, 10, 1);
  Sink<v1::TransferReceipt> sink;
  ASSERT_TRUE(List("a", 0, sink).ok());
  EXPECT_TRUE(sink.written().empty());
  EXPECT_EQ(store_.list_calls(), (std::vector<ListCall>{{0, kPage}}));
}

TEST_F(LedgerTest, ListTransfersEndsCancelledWhenNobodyReads) {
  store_.SetAccount("a", 0, 600, 601);
  AddCredits(store_, "a", 600);
  Sink<v1::TransferReceipt> sink(10);
  EXPECT_EQ(List("a", 0, sink).code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(sink.written().size(), 10u);
  EXPECT_EQ(store_.list_calls().size(), 1u);
}

TEST_F(LedgerTest, ListTransfersOfAnUnknownOrInvalidAccount) {
  Sink<v1::TransferReceipt> sink;
  EXPECT_EQ(List("nobody", 0, sink).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.list_calls().size(), 1u);
  EXPECT_EQ(List("not an id", 0, sink).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.list_calls().size(), 1u);  // refused before the store
  EXPECT_TRUE(sink.written().empty());
}

// --- Audit ------------------------------------------------------------------

TEST_F(LedgerTest, AuditOfAJournalThatMatchesTheBalanceIsConsistent) {
  const std::vector<v1::TransferReceipt> entries = {Entry(3, "b", "a", 50), Entry(8, "a", "c", 30),
                                                    Entry(9, "c", "a", 5)};
  store_.SetAccount("a", 100, 125, 4);
  for (const v1::TransferReceipt& entry : entries) store_.AddEntry("a", entry);

  absl::StatusOr<v1::AuditReport> report = Audit("a");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->account_id(), "a");
  EXPECT_EQ(report->entries(), 3u);
  EXPECT_EQ(report->balance(), 125);
  EXPECT_EQ(report->digest(), AuditDigest("a", entries));
  EXPECT_TRUE(report->consistent());
}

// Transfers that committed after the account was read are in the journal
// too; Audit reads only the version - 1 the balance reflects.
TEST_F(LedgerTest, AuditReadsOnlyTheEntriesTheBalanceReflects) {
  const std::vector<v1::TransferReceipt> entries = {Entry(3, "b", "a", 50), Entry(8, "a", "c", 30),
                                                    Entry(9, "c", "a", 5),
                                                    Entry(12, "a", "b", 100)};
  store_.SetAccount("a", 100, 120, 3);
  for (const v1::TransferReceipt& entry : entries) store_.AddEntry("a", entry);

  absl::StatusOr<v1::AuditReport> report = Audit("a");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries(), 2u);
  EXPECT_EQ(report->digest(), AuditDigest("a", {entries[0], entries[1]}));
  EXPECT_TRUE(report->consistent());
  EXPECT_EQ(store_.list_calls(), (std::vector<ListCall>{{0, 2}}));
}

TEST_F(LedgerTest, AuditOfAJournalShorterThanTheVersionIsInconsistent) {
  // Three entries that add up to the balance, but the version says four.
  const std::vector<v1::TransferReceipt> entries = {Entry(3, "b", "a", 50), Entry(8, "a", "c", 30),
                                                    Entry(9, "c", "a", 5)};
  store_.SetAccount("a", 100, 125, 5);
  for (const v1::TransferReceipt& entry : entries) store_.AddEntry("a", entry);

  absl::StatusOr<v1::AuditReport> report = Audit("a");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries(), 3u);
  EXPECT_EQ(report->balance(), 125);
  EXPECT_EQ(report->digest(), AuditDigest("a", entries));
  EXPECT_FALSE(report->consistent());
  // It stops at the first empty page rather than asking again.
  EXPECT_EQ(store_.list_calls(), (std::vector<ListCall>{{0, 4}, {9, 1}}));
}

TEST_F(LedgerTest, AuditOfAJournalThatDoesNotAddUpIsInconsistent) {
  store_.SetAccount("a", 100, 126, 4);
  store_.AddEntry("a", Entry(3, "b", "a", 50));
  store_.AddEntry("a", Entry(8, "a", "c", 30));
  store_.AddEntry("a", Entry(9, "c", "a", 5));
  absl::StatusOr<v1::AuditReport> report = Audit("a");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries(), 3u);
  EXPECT_FALSE(report->consistent());
}

TEST_F(LedgerTest, AuditReadsALongJournalAPageAtATime) {
  store_.SetAccount("a", 7, 7 + 600, 601);
  AddCredits(store_, "a", 600);
  absl::StatusOr<v1::AuditReport> report = Audit("a");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries(), 600u);
  EXPECT_TRUE(report->consistent());
  EXPECT_EQ(store_.list_calls(),
            (std::vector<ListCall>{
                {0, kPage}, {SequenceOf(kPage - 1), kPage}, {SequenceOf(2 * kPage - 1), 88}}));
}

TEST_F(LedgerTest, AuditOfAnUnknownOrInvalidAccount) {
  EXPECT_EQ(Audit("nobody").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Audit("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_.list_calls().empty());
}

}  // namespace
}  // namespace ledger::fake
