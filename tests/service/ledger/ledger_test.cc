// Ledger on its own, over a hand-written store whose accounts, journal and
// failures each test sets: how ListTransfers and Audit page through the
// journal, what Audit calls consistent, and which failures end a stream and
// which are answered per request. No server, no real store; everything runs
// under SyncWait (and Audit's hashing on a ThreadPool).
#include "service/ledger/ledger.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coro/sync_wait.h"
#include "coro/thread_pool.h"
#include "service/ledger/audit_digest.h"

namespace ledger {
namespace {

// A store that answers what the test set: GetAccount the records, ListTransfers
// the journals (as given, paged by after_sequence and max_count), and
// CommitTransfer a receipt unless a failure was set for its request_id. It
// never suspends, and it honours the Cancellation like a real store.
class FakeStore final : public LedgerStore {
 public:
  absl::string_view name() const override { return "fake"; }

  void SetAccount(const std::string& id, int64_t initial_balance, int64_t balance,
                  uint64_t version) {
    AccountRecord& record = accounts_[id];
    record.account.set_id(id);
    record.account.set_balance(balance);
    record.account.set_version(version);
    record.initial_balance = initial_balance;
  }
  // Appends to `account_id`'s journal; sequences must ascend.
  void AddEntry(const std::string& account_id, v1::TransferReceipt entry) {
    journals_[account_id].push_back(std::move(entry));
  }
  void FailCommit(const std::string& request_id, absl::Status status) {
    commit_failures_[request_id] = std::move(status);
  }

  struct ListCall {
    uint64_t after_sequence;
    int max_count;
    bool operator==(const ListCall&) const = default;
  };
  std::vector<ListCall> list_calls() {
    std::lock_guard lock(mutex_);
    return list_calls_;
  }
  std::vector<std::string> committed() {
    std::lock_guard lock(mutex_);
    return committed_;
  }
  int commit_calls() {
    std::lock_guard lock(mutex_);
    return commit_calls_;
  }

  coro::Task<absl::StatusOr<v1::Account>> OpenAccount(
      std::string id, int64_t initial_balance, const coro::Cancellation& cancellation) override {
    if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
    std::lock_guard lock(mutex_);
    if (accounts_.contains(id)) co_return absl::AlreadyExistsError(id);
    SetAccount(id, initial_balance, initial_balance, 1);
    co_return accounts_[id].account;
  }

  coro::Task<absl::StatusOr<AccountRecord>> GetAccount(
      std::string id, const coro::Cancellation& cancellation) override {
    if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
    std::lock_guard lock(mutex_);
    auto found = accounts_.find(id);
    if (found == accounts_.end()) co_return absl::NotFoundError(id);
    co_return found->second;
  }

  coro::Task<absl::StatusOr<v1::TransferReceipt>> CommitTransfer(
      v1::TransferRequest transfer, const coro::Cancellation& cancellation) override {
    if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
    std::lock_guard lock(mutex_);
    ++commit_calls_;
    if (auto failure = commit_failures_.find(transfer.request_id());
        failure != commit_failures_.end()) {
      co_return failure->second;
    }
    if (!accounts_.contains(transfer.from_id()) || !accounts_.contains(transfer.to_id())) {
      co_return absl::NotFoundError("unknown account");
    }
    v1::TransferReceipt receipt;
    receipt.set_sequence(++last_sequence_);
    receipt.set_request_id(transfer.request_id());
    receipt.set_from_id(transfer.from_id());
    receipt.set_to_id(transfer.to_id());
    receipt.set_amount(transfer.amount());
    committed_.push_back(transfer.request_id());
    co_return receipt;
  }

  coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> ListTransfers(
      std::string account_id, uint64_t after_sequence, int max_count,
      const coro::Cancellation& cancellation) override {
    if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
    std::lock_guard lock(mutex_);
    list_calls_.push_back({after_sequence, max_count});
    if (!accounts_.contains(account_id)) co_return absl::NotFoundError(account_id);
    std::vector<v1::TransferReceipt> page;
    for (const v1::TransferReceipt& entry : journals_[account_id]) {
      if (static_cast<int>(page.size()) >= max_count) break;
      if (entry.sequence() > after_sequence) page.push_back(entry);
    }
    co_return page;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, AccountRecord> accounts_;
  std::map<std::string, std::vector<v1::TransferReceipt>> journals_;
  std::map<std::string, absl::Status> commit_failures_;
  std::vector<ListCall> list_calls_;
  std::vector<std::string> committed_;
  int commit_calls_ = 0;
  uint64_t last_sequence_ = 0;
};

v1::TransferReceipt Entry(uint64_t sequence, const std::string& from_id, const std::string& to_id,
                          int64_t amount) {
  v1::TransferReceipt entry;
  entry.set_sequence(sequence);
  entry.set_request_id(absl::StrCat("r", sequence));
  entry.set_from_id(from_id);
  entry.set_to_id(to_id);
  entry.set_amount(amount);
  return entry;
}

v1::TransferRequest Request(const std::string& request_id, const std::string& from_id,
                            const std::string& to_id, int64_t amount) {
  v1::TransferRequest request;
  request.set_request_id(request_id);
  request.set_from_id(from_id);
  request.set_to_id(to_id);
  request.set_amount(amount);
  return request;
}

// Sparse sequences, as when other accounts' transfers come in between.
uint64_t SequenceOf(int index) { return 10 + 3 * static_cast<uint64_t>(index); }

// `count` entries of 1 from "payer" to `account_id`.
void AddCredits(FakeStore& store, const std::string& account_id, int count) {
  for (int i = 0; i < count; ++i)
    store.AddEntry(account_id, Entry(SequenceOf(i), "payer", account_id, 1));
}

template <typename Message>
class Sink {
 public:
  // Accepts `accept` messages, then reports that nobody listens.
  explicit Sink(size_t accept = std::numeric_limits<size_t>::max()) : accept_(accept) {}
  coro::Task<bool> Write(const Message& message) {
    std::lock_guard lock(mutex_);
    if (written_.size() >= accept_) co_return false;
    written_.push_back(message);
    co_return true;
  }
  std::vector<Message> written() {
    std::lock_guard lock(mutex_);
    return written_;
  }

 private:
  std::mutex mutex_;
  const size_t accept_;
  std::vector<Message> written_;
};

class RequestSource {
 public:
  explicit RequestSource(std::vector<v1::TransferRequest> requests)
      : requests_(std::move(requests)) {}
  coro::Task<bool> Read(v1::TransferRequest& request) {
    if (read_ == requests_.size()) co_return false;
    request = requests_[read_++];
    co_return true;
  }
  size_t read() const { return read_; }

 private:
  std::vector<v1::TransferRequest> requests_;
  size_t read_ = 0;
};

class LedgerTest : public ::testing::Test {
 protected:
  absl::Status List(const std::string& account_id, uint32_t limit,
                    Sink<v1::TransferReceipt>& sink) {
    v1::ListTransfersRequest request;
    request.set_account_id(account_id);
    request.set_limit(limit);
    auto write = [&sink](const v1::TransferReceipt& receipt) { return sink.Write(receipt); };
    return coro::SyncWait(ledger_.ListTransfers(request, write, coro::Cancellation()));
  }

  absl::StatusOr<v1::AuditReport> Audit(const std::string& account_id) {
    v1::AuditRequest request;
    request.set_account_id(account_id);
    return coro::SyncWait(ledger_.Audit(request, coro::Cancellation()));
  }

  FakeStore store_;
  coro::ThreadPool workers_{2};
  Ledger ledger_{store_, workers_};
};

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
    ASSERT_TRUE(coro::SyncWait(ledger.ListTransfers(request, write, coro::Cancellation())).ok());
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
    EXPECT_TRUE(coro::SyncWait(ledger_.TransferStream(read, write, coro::Cancellation())).ok());
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
      coro::SyncWait(ledger_.ImportTransfers(read, coro::Cancellation()));
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
      coro::SyncWait(ledger_.ImportTransfers(read, coro::Cancellation()));
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
      coro::SyncWait(ledger_.ImportTransfers(read, coro::Cancellation()));
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->applied(), 2u);
  EXPECT_EQ(summary->rejected(), 4u);
  EXPECT_EQ(store_.commit_calls(), 2);
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
        read, coro::Cancellation(stop.get_token(), absl::InfiniteFuture())));
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
      read, write, coro::Cancellation(std::stop_token(), absl::Now() - absl::Seconds(1))));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
  for (const v1::TransferResult& result : sink.written()) {
    EXPECT_EQ(result.code(), static_cast<int32_t>(absl::StatusCode::kDeadlineExceeded));
  }
  EXPECT_EQ(store_.commit_calls(), 0);
}

}  // namespace
}  // namespace ledger
