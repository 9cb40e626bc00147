// Calls that end early — past their deadline, or cancelled by the client —
// against the real server: they stop at their next await and leave nothing
// half-applied. And CPU-bound Audit stays off the I/O threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "tests/service/ledger_client.h"
#include "tests/support/server_process.h"

namespace ledger::testing {
namespace {

// A transfer awaits three store calls (two reads, one commit), 200 ms each.
// A deadline of 300 ms passes during the second read: the call ends there,
// and the transfer is not committed, then or later.
TEST(LedgerCancellation, ADeadlineInTheMiddleOfATransferCommitsNothing) {
  ServerProcess server({"--store_latency=200ms"});
  ASSERT_NE(server.port(), 0);
  LedgerClient client(server.address());
  const std::string from = UniqueId("deadline-from");
  const std::string to = UniqueId("deadline-to");
  ASSERT_TRUE(client.Open(from, 100).ok());
  ASSERT_TRUE(client.Open(to, 0).ok());

  const v1::TransferRequest request = Request(UniqueId("deadline"), from, to, 10);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  v1::TransferReceipt receipt;
  const grpc::Status status = client.stub().Transfer(&context, request, &receipt);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  // Long enough for the abandoned commit to have happened, had it gone on.
  absl::SleepFor(absl::Milliseconds(800));
  v1::Account account;
  ASSERT_TRUE(client.Get(from, &account).ok());
  EXPECT_EQ(account.balance(), 100);
  EXPECT_EQ(account.version(), 1u);

  // The same request, given time, commits exactly once.
  v1::TransferReceipt committed;
  ASSERT_TRUE(client.Transfer(request.request_id(), from, to, 10, &committed).ok());
  ASSERT_TRUE(client.Get(from, &account).ok());
  EXPECT_EQ(account.balance(), 90);
  EXPECT_EQ(account.version(), 2u);
}

// A client that cancels a bidi stream mid-way: whatever committed stays
// whole, the rest never commits, and money is conserved.
TEST(LedgerCancellation, CancellingATransferStreamLeavesNoHalfTransfer) {
  ServerProcess server({"--store_latency=20ms"});
  ASSERT_NE(server.port(), 0);
  LedgerClient client(server.address());
  const std::string a = UniqueId("cancel-a");
  const std::string b = UniqueId("cancel-b");
  ASSERT_TRUE(client.Open(a, 1000).ok());
  ASSERT_TRUE(client.Open(b, 1000).ok());

  grpc::ClientContext context;
  auto stream = client.stub().TransferStream(&context);
  for (int i = 0; i < 500; ++i) {
    if (!stream->Write(Request(UniqueId("cancel"), i % 2 ? a : b, i % 2 ? b : a, 1 + i % 7))) {
      break;
    }
  }
  v1::TransferResult result;
  int received = 0;
  while (received < 20 && stream->Read(&result)) ++received;
  context.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);

  absl::SleepFor(absl::Milliseconds(500));
  v1::Account account_a;
  v1::Account account_b;
  ASSERT_TRUE(client.Get(a, &account_a).ok());
  ASSERT_TRUE(client.Get(b, &account_b).ok());
  EXPECT_EQ(account_a.balance() + account_b.balance(), 2000);
  // Every committed transfer touched both accounts once.
  EXPECT_EQ(account_a.version(), account_b.version());
  EXPECT_GE(account_a.version(), 1u + received);
  EXPECT_LT(account_a.version(), 1u + 500);
  // The server is fine afterwards.
  EXPECT_TRUE(client.Transfer(UniqueId("after"), a, b, 1).ok());
}

// Sorted latencies of GetAccount calls made one after another while
// `go_on()` says so.
template <typename Condition>
std::vector<absl::Duration> GetAccountLatencies(LedgerClient& client, const std::string& id,
                                                Condition go_on) {
  std::vector<absl::Duration> latencies;
  while (go_on()) {
    v1::Account account;
    const absl::Time start = absl::Now();
    EXPECT_TRUE(client.Get(id, &account).ok());
    latencies.push_back(absl::Now() - start);
  }
  std::sort(latencies.begin(), latencies.end());
  return latencies;
}

// Audit hashes on the worker pool. While audits of a long journal keep the
// one worker busy, GetAccount calls on the one completion-queue thread are
// answered as usual. Were the hashing on that thread, a GetAccount could only
// slip in between two audits, so a handful would complete while the audits
// run, instead of hundreds per audit. The test counts calls rather than
// comparing latencies, so a slow or busy machine does not change its answer:
// hashing 100,000 entries takes as long as hundreds of GetAccounts anywhere.
TEST(LedgerCancellation, ALongAuditDoesNotDelayOtherCalls) {
  constexpr int kJournal = 100'000;
  constexpr int kAudits = 6;
  ServerProcess server({"--store_latency=0", "--threads=1", "--workers=1"});
  ASSERT_NE(server.port(), 0);
  LedgerClient client(server.address());
  const std::string a = UniqueId("long-a");
  const std::string b = UniqueId("long-b");
  ASSERT_TRUE(client.Open(a, kJournal).ok());
  ASSERT_TRUE(client.Open(b, 0).ok());
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ImportSummary summary;
    auto writer = client.stub().ImportTransfers(&context, &summary);
    for (int i = 0; i < kJournal; ++i) {
      ASSERT_TRUE(writer->Write(Request("long-" + std::to_string(i) + "-" + a, a, b, 1)));
    }
    ASSERT_TRUE(writer->WritesDone());
    ASSERT_TRUE(writer->Finish().ok());
    ASSERT_EQ(summary.applied(), static_cast<uint32_t>(kJournal));
  }

  std::atomic<int> audits_running{kAudits};
  std::vector<std::thread> auditors;
  for (int i = 0; i < kAudits; ++i) {
    auditors.emplace_back([&] {
      LedgerClient auditor(server.address());
      v1::AuditRequest request;
      request.set_account_id(a);
      v1::AuditReport report;
      grpc::ClientContext context;
      SetDeadline(context);
      EXPECT_TRUE(auditor.stub().Audit(&context, request, &report).ok());
      EXPECT_EQ(report.entries(), static_cast<uint64_t>(kJournal));
      EXPECT_TRUE(report.consistent());
      audits_running.fetch_sub(1);
    });
  }
  std::vector<absl::Duration> during =
      GetAccountLatencies(client, b, [&] { return audits_running.load() > 0; });
  for (auto& auditor : auditors) auditor.join();

  ASSERT_GE(during.size(), 10u * kAudits) << "GetAccount waits for the audits' hashing";
  std::cerr << during.size() << " GetAccount calls answered while " << kAudits
            << " audits ran (median " << during[during.size() / 2] << ", max " << during.back()
            << ")\n";
}

}  // namespace
}  // namespace ledger::testing
