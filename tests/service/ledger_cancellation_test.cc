// Calls that end early — past their deadline, or cancelled by the client —
// against the real server: they stop at their next await and leave nothing
// half-applied, in both modes, and the server counts them as cancelled.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "contract/metric_names.h"
#include "tests/service/ledger_client.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/server_process.h"

namespace ledger::testing {
namespace {

// grpc_server_handled_total of `method` in `mode` with `code` (Go's name).
double Handled(const Scrape& scrape, const std::string& mode, const std::string& method,
               const std::string& type, const std::string& code) {
  return scrape.Value("grpc_server_handled_total", {{"grpc_service", "ledger.v1.Ledger"},
                                                    {"grpc_method", method},
                                                    {"grpc_type", type},
                                                    {"mode", mode},
                                                    {"grpc_code", code}});
}

double HandledWithAnyCode(const Scrape& scrape, const std::string& mode, const std::string& method,
                          const std::string& type) {
  double handled = 0;
  for (const std::string code : metrics::kGoCodeNames)
    handled += Handled(scrape, mode, method, type, code);
  return handled;
}

double StoreCalls(const Scrape& scrape, const std::string& mode, const std::string& op) {
  return scrape.Value("ledger_store_operation_seconds_count",
                      {{"op", op}, {"store", "memory"}, {"mode", mode}});
}

// Scrapes until `done` says so, for at most 20 s; the last scrape.
Scrape ScrapeUntil(int metrics_port, const std::function<bool(const Scrape&)>& done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  Scrape scrape = Scrape::From(metrics_port);
  while (!done(scrape) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    scrape = Scrape::From(metrics_port);
  }
  return scrape;
}

// A transfer awaits one store call, which waits 500 ms before it commits. A
// deadline of 200 ms passes during that wait: the call ends there, and the
// transfer is not committed, then or later.
TEST(LedgerCancellation, ADeadlineInTheMiddleOfATransferCommitsNothing) {
  ServerProcess server({"--store_latency=500ms"});
  ASSERT_NE(server.port(), 0);
  LedgerClient client(server.address());
  const std::string from = UniqueId("deadline-from");
  const std::string to = UniqueId("deadline-to");
  ASSERT_TRUE(client.Open(from, 100).ok());
  ASSERT_TRUE(client.Open(to, 0).ok());

  const v1::TransferRequest request = Request(UniqueId("deadline"), from, to, 10);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
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
// whole, the rest never commits, and money is conserved. At 200 ms per store
// call the 500 transfers need about 5 s, the cancel comes after the first 20
// results: seconds of margin, however busy the machine.
TEST(LedgerCancellation, CancellingATransferStreamLeavesNoHalfTransfer) {
  ServerProcess server({"--store_latency=200ms"});
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

class LedgerCancellationPerMode : public ::testing::TestWithParam<std::string> {};

// A transfer's one store call waits 1 s before it commits. The client cancels
// it in that wait: the call ends CANCELLED at once, counted so, and nothing
// moves, then or later. The cancel is sent once /metrics shows the call in
// flight (its handler has started, and goes straight to the store), with
// about a second of the store's wait to arrive in, however busy the machine.
TEST_P(LedgerCancellationPerMode, ATransferCancelledWhileTheStoreWaitsCommitsNothing) {
  const std::string mode = GetParam();
  ServerProcess server({"--mode=" + mode, "--store_latency=1s"});
  ASSERT_NE(server.port(), 0);
  LedgerClient client(server.address());
  const std::string from = UniqueId("cancel-from");
  const std::string to = UniqueId("cancel-to");
  ASSERT_TRUE(client.Open(from, 100).ok());
  ASSERT_TRUE(client.Open(to, 0).ok());

  grpc::ClientContext context;
  SetDeadline(context);
  grpc::Status status;
  std::thread caller([&] {
    v1::TransferReceipt receipt;
    status =
        client.stub().Transfer(&context, Request(UniqueId("cancelled"), from, to, 10), &receipt);
  });
  const Scrape in_flight = ScrapeUntil(server.port("metrics"), [&](const Scrape& scrape) {
    return scrape.Value(metrics::kInflightCalls, {{"mode", mode}}) >= 1;
  });
  ASSERT_EQ(in_flight.Value(metrics::kInflightCalls, {{"mode", mode}}), 1);
  ASSERT_EQ(StoreCalls(in_flight, mode, "commit_transfer"), 0);
  context.TryCancel();
  caller.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);

  const Scrape after = ScrapeUntil(server.port("metrics"), [&](const Scrape& scrape) {
    return HandledWithAnyCode(scrape, mode, "Transfer", "unary") >= 1;
  });
  EXPECT_EQ(Handled(after, mode, "Transfer", "unary", "Canceled"), 1);
  EXPECT_EQ(HandledWithAnyCode(after, mode, "Transfer", "unary"), 1);

  // Long enough for the abandoned commit to have happened, had it gone on.
  absl::SleepFor(absl::Milliseconds(1200));
  v1::Account account;
  ASSERT_TRUE(client.Get(from, &account).ok());
  EXPECT_EQ(account.balance(), 100);
  EXPECT_EQ(account.version(), 1u);
  ASSERT_TRUE(client.Get(to, &account).ok());
  EXPECT_EQ(account.balance(), 0);
  EXPECT_EQ(account.version(), 1u);
}

// A client that cancels a client stream (ImportTransfers) or a bidi stream
// (TransferStream) while the server waits for its next request: the call is
// counted CANCELLED, not OK, and what it applied before stays applied. A
// stream the client half-closes still ends OK.
TEST_P(LedgerCancellationPerMode, StreamsCancelledWhileTheServerReadsEndCancelled) {
  const std::string mode = GetParam();
  ServerProcess server({"--mode=" + mode, "--store_latency=1ms"});
  ASSERT_NE(server.port(), 0);
  LedgerClient client(server.address());
  const std::string a = UniqueId("stream-a");
  const std::string b = UniqueId("stream-b");
  ASSERT_TRUE(client.Open(a, 100).ok());
  ASSERT_TRUE(client.Open(b, 0).ok());
  auto commits_reach = [&](double commits) {
    return ScrapeUntil(server.port("metrics"), [&](const Scrape& scrape) {
      return StoreCalls(scrape, mode, "commit_transfer") >= commits;
    });
  };

  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ImportSummary summary;
    auto writer = client.stub().ImportTransfers(&context, &summary);
    ASSERT_TRUE(writer->Write(Request(UniqueId("import"), a, b, 1)));
    ASSERT_TRUE(writer->Write(Request(UniqueId("import"), a, b, 2)));
    // Both applied: the server now waits for the next request.
    ASSERT_EQ(StoreCalls(commits_reach(2), mode, "commit_transfer"), 2);
    context.TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    auto stream = client.stub().TransferStream(&context);
    ASSERT_TRUE(stream->Write(Request(UniqueId("stream"), a, b, 4)));
    ASSERT_TRUE(stream->Write(Request(UniqueId("stream"), a, b, 8)));
    v1::TransferResult result;
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(stream->Read(&result));
      EXPECT_TRUE(result.has_receipt()) << result.message();
    }
    // Both answered: the server now waits for the next request.
    context.TryCancel();
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  Scrape after = ScrapeUntil(server.port("metrics"), [&](const Scrape& scrape) {
    return HandledWithAnyCode(scrape, mode, "ImportTransfers", "client_stream") >= 1 &&
           HandledWithAnyCode(scrape, mode, "TransferStream", "bidi_stream") >= 1;
  });
  EXPECT_EQ(Handled(after, mode, "ImportTransfers", "client_stream", "Canceled"), 1);
  EXPECT_EQ(HandledWithAnyCode(after, mode, "ImportTransfers", "client_stream"), 1);
  EXPECT_EQ(Handled(after, mode, "TransferStream", "bidi_stream", "Canceled"), 1);
  EXPECT_EQ(HandledWithAnyCode(after, mode, "TransferStream", "bidi_stream"), 1);
  v1::Account account;
  ASSERT_TRUE(client.Get(a, &account).ok());
  EXPECT_EQ(account.balance(), 100 - 1 - 2 - 4 - 8);
  EXPECT_EQ(account.version(), 1u + 4);

  // Half-closed streams, read to their end, are OK.
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ImportSummary summary;
    auto writer = client.stub().ImportTransfers(&context, &summary);
    ASSERT_TRUE(writer->Write(Request(UniqueId("import"), a, b, 1)));
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
    EXPECT_EQ(summary.applied(), 1u);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    auto stream = client.stub().TransferStream(&context);
    ASSERT_TRUE(stream->Write(Request(UniqueId("stream"), a, b, 1)));
    stream->WritesDone();
    v1::TransferResult result;
    while (stream->Read(&result)) EXPECT_TRUE(result.has_receipt()) << result.message();
    ASSERT_TRUE(stream->Finish().ok());
  }
  after = ScrapeUntil(server.port("metrics"), [&](const Scrape& scrape) {
    return HandledWithAnyCode(scrape, mode, "ImportTransfers", "client_stream") >= 2 &&
           HandledWithAnyCode(scrape, mode, "TransferStream", "bidi_stream") >= 2;
  });
  EXPECT_EQ(Handled(after, mode, "ImportTransfers", "client_stream", "OK"), 1);
  EXPECT_EQ(Handled(after, mode, "TransferStream", "bidi_stream", "OK"), 1);
  EXPECT_EQ(Handled(after, mode, "ImportTransfers", "client_stream", "Canceled"), 1);
  EXPECT_EQ(Handled(after, mode, "TransferStream", "bidi_stream", "Canceled"), 1);
}

INSTANTIATE_TEST_SUITE_P(Modes, LedgerCancellationPerMode, ::testing::Values("coroutine", "thread"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ledger::testing
