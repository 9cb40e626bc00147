// Many transfers in flight at once, from a coroutine client on one thread,
// against the real server: no lost update, no money created or destroyed, no
// transfer applied twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "coro/alarm.h"
#include "coro/client_unary.h"
#include "coro/completion_queue_threads.h"
#include "coro/detached.h"
#include "coro/task.h"
#include "tests/service/ledger_client.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/server_process.h"

namespace ledger::testing {
namespace {

struct Outcome {
  grpc::Status status;
  v1::TransferReceipt receipt;
};

// Runs `requests` with `in_flight` coroutines on one client thread; each
// coroutine takes the next request as soon as its previous call returns.
std::vector<Outcome> TransferAll(v1::Ledger::Stub& stub,
                                 const std::vector<v1::TransferRequest>& requests, int in_flight) {
  std::vector<Outcome> outcomes(requests.size());
  coro::CompletionQueueThreads client(1);
  client.Start();
  size_t next = 0;  // touched only on the client's one thread
  std::atomic<int> workers_done{0};
  auto worker = [&]() -> coro::Task<void> {
    co_await coro::ResumeOn(client.queue(0));
    while (next < requests.size()) {
      const size_t index = next++;
      grpc::ClientContext context;
      SetDeadline(context);
      outcomes[index].status =
          co_await coro::CallUnary(&v1::Ledger::Stub::PrepareAsyncTransfer, stub, context,
                                   requests[index], outcomes[index].receipt);
    }
    workers_done.fetch_add(1);
  };
  for (int i = 0; i < in_flight; ++i) coro::Spawn(worker());
  const absl::Time give_up = absl::Now() + absl::Minutes(4);
  while (workers_done.load() < in_flight && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(workers_done.load(), in_flight) << "transfers did not finish in time";
  client.Shutdown();
  return outcomes;
}

TEST(LedgerConcurrency, TwentyThousandRandomTransfersAt256InFlightConserveMoney) {
  constexpr int kAccounts = 100;
  constexpr int kTransfers = 20'000;
  constexpr int kInFlight = 256;
  constexpr int64_t kOpeningBalance = 1'000;

  ServerProcess server;
  ASSERT_NE(server.port(), 0);
  LedgerClient client(server.address());
  std::vector<std::string> ids;
  for (int i = 0; i < kAccounts; ++i) {
    ids.push_back(UniqueId("concurrent"));
    ASSERT_TRUE(client.Open(ids.back(), kOpeningBalance).ok());
  }

  // Amounts up to a fifth of the opening balance: most transfers commit, and
  // some drain an account enough to be refused.
  std::mt19937 random(20'000);
  std::uniform_int_distribution<int> pick(0, kAccounts - 1);
  std::uniform_int_distribution<int64_t> amount(1, kOpeningBalance / 5);
  std::vector<v1::TransferRequest> requests(kTransfers);
  for (int i = 0; i < kTransfers; ++i) {
    const int from = pick(random);
    int to = pick(random);
    while (to == from) to = pick(random);
    requests[i] = Request("concurrent-transfer-" + std::to_string(i) + "-" + ids[0], ids[from],
                          ids[to], amount(random));
  }

  const std::vector<Outcome> outcomes = TransferAll(client.stub(), requests, kInFlight);

  std::map<std::string, int64_t> expected_balance;
  std::map<std::string, uint64_t> committed_touching;
  for (const auto& id : ids) expected_balance[id] = kOpeningBalance;
  std::set<uint64_t> sequences;
  int committed = 0;
  int refused = 0;
  for (int i = 0; i < kTransfers; ++i) {
    const Outcome& outcome = outcomes[i];
    if (!outcome.status.ok()) {
      ASSERT_EQ(outcome.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << outcome.status.error_message();
      ++refused;
      continue;
    }
    ++committed;
    ASSERT_EQ(outcome.receipt.request_id(), requests[i].request_id());
    ASSERT_EQ(outcome.receipt.amount(), requests[i].amount());
    ASSERT_TRUE(sequences.insert(outcome.receipt.sequence()).second) << "sequence reused";
    expected_balance[requests[i].from_id()] -= requests[i].amount();
    expected_balance[requests[i].to_id()] += requests[i].amount();
    ++committed_touching[requests[i].from_id()];
    ++committed_touching[requests[i].to_id()];
  }
  EXPECT_EQ(committed + refused, kTransfers);
  EXPECT_GT(committed, kTransfers / 2);

  int64_t total = 0;
  for (const auto& id : ids) {
    v1::Account account;
    ASSERT_TRUE(client.Get(id, &account).ok());
    total += account.balance();
    EXPECT_GE(account.balance(), 0);
    EXPECT_EQ(account.balance(), expected_balance[id]) << id;
    EXPECT_EQ(account.version(), 1 + committed_touching[id]) << id;
  }
  EXPECT_EQ(total, kAccounts * kOpeningBalance);
}

// Both modes serve one store: money moved through either port is the same
// money, so transfers through both at once must still conserve it.
TEST(LedgerConcurrency, TransfersThroughBothPortsAtOnceConserveMoney) {
  constexpr int kAccounts = 20;
  constexpr int kTransfersPerMode = 3'000;
  constexpr int64_t kOpeningBalance = 500;
  ServerProcess server({"--mode=both"});
  ASSERT_NE(server.port("coroutine"), 0);
  ASSERT_NE(server.port("thread"), 0);
  LedgerClient coroutine_client(server.address("coroutine"));
  LedgerClient thread_client(server.address("thread"));
  std::vector<std::string> ids;
  for (int i = 0; i < kAccounts; ++i) {
    ids.push_back(UniqueId("both"));
    // Opened through either port: one store.
    ASSERT_TRUE((i % 2 ? thread_client : coroutine_client).Open(ids.back(), kOpeningBalance).ok());
  }
  std::mt19937 random(7);
  std::uniform_int_distribution<int> pick(0, kAccounts - 1);
  auto requests_for = [&](const std::string& mode) {
    std::vector<v1::TransferRequest> requests(kTransfersPerMode);
    for (int i = 0; i < kTransfersPerMode; ++i) {
      const int from = pick(random);
      int to = pick(random);
      while (to == from) to = pick(random);
      requests[i] =
          Request(mode + "-" + std::to_string(i) + "-" + ids[0], ids[from], ids[to], 1 + i % 50);
    }
    return requests;
  };
  const auto coroutine_requests = requests_for("coroutine");
  const auto thread_requests = requests_for("thread");
  std::vector<Outcome> thread_outcomes;
  std::thread through_threads(
      [&] { thread_outcomes = TransferAll(thread_client.stub(), thread_requests, 64); });
  const std::vector<Outcome> coroutine_outcomes =
      TransferAll(coroutine_client.stub(), coroutine_requests, 64);
  through_threads.join();

  std::map<std::string, uint64_t> committed_touching;
  int committed = 0;
  for (const auto& [requests, outcomes] :
       {std::pair{&coroutine_requests, &coroutine_outcomes},
        std::pair{&thread_requests, static_cast<const std::vector<Outcome>*>(&thread_outcomes)}}) {
    for (size_t i = 0; i < requests->size(); ++i) {
      const grpc::Status& status = (*outcomes)[i].status;
      ASSERT_TRUE(status.ok() || status.error_code() == grpc::StatusCode::FAILED_PRECONDITION)
          << status.error_message();
      if (!status.ok()) continue;
      ++committed;
      ++committed_touching[(*requests)[i].from_id()];
      ++committed_touching[(*requests)[i].to_id()];
    }
  }
  EXPECT_GT(committed, kTransfersPerMode);
  int64_t total = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    v1::Account account;
    ASSERT_TRUE((i % 2 ? coroutine_client : thread_client).Get(ids[i], &account).ok());
    total += account.balance();
    EXPECT_EQ(account.version(), 1 + committed_touching[ids[i]]) << ids[i];
  }
  EXPECT_EQ(total, kAccounts * kOpeningBalance);
}

// Thread mode holds a thread per call; past --max_threads (which counts
// gRPC's own polling thread too) calls are refused at once, not queued.
TEST(LedgerConcurrency, ThreadModeRefusesCallsBeyondMaxThreads) {
  constexpr int kMaxThreads = 4;
  constexpr int kCalls = 20;
  ServerProcess server(
      {"--mode=thread", "--max_threads=" + std::to_string(kMaxThreads), "--store_latency=2s"});
  ASSERT_NE(server.port(), 0);
  LedgerClient client(server.address());
  std::vector<grpc::StatusCode> codes(kCalls);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.emplace_back([&, i] {
      v1::Account account;
      codes[i] = client.Get(UniqueId("nobody"), &account).error_code();
    });
  }
  for (auto& caller : callers) caller.join();
  const auto served = std::count(codes.begin(), codes.end(), grpc::StatusCode::NOT_FOUND);
  const auto refused = std::count(codes.begin(), codes.end(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(served + refused, kCalls);
  EXPECT_GE(served, 1);
  EXPECT_LT(served, kMaxThreads);
  // gRPC refuses them before the handler runs, and the metrics still count
  // them, so an operator sees the refusals.
  const Scrape scrape = Scrape::From(server.port("metrics"));
  Labels get = {{"grpc_service", "ledger.v1.Ledger"},
                {"grpc_method", "GetAccount"},
                {"grpc_type", "unary"},
                {"mode", "thread"}};
  EXPECT_EQ(scrape.Value("grpc_server_started_total", get), kCalls);
  get["grpc_code"] = "ResourceExhausted";
  EXPECT_EQ(scrape.Value("grpc_server_handled_total", get), refused);
}

// In either mode, calls past --max_inflight are refused at once; exactly as
// many as the bound are served.
TEST(LedgerConcurrency, CallsPastMaxInflightAreRefusedInEachMode) {
  constexpr int kMaxInflight = 5;
  constexpr int kCalls = 20;
  for (const std::string mode : {"coroutine", "thread"}) {
    ServerProcess server(
        {"--mode=" + mode, "--max_inflight=" + std::to_string(kMaxInflight), "--store_latency=2s"});
    ASSERT_NE(server.port(), 0) << mode;
    LedgerClient client(server.address());
    std::vector<grpc::Status> statuses(kCalls);
    std::vector<std::thread> callers;
    for (int i = 0; i < kCalls; ++i) {
      callers.emplace_back([&, i] {
        v1::Account account;
        statuses[i] = client.Get(UniqueId("nobody"), &account);
      });
    }
    for (auto& caller : callers) caller.join();
    int served = 0;
    int refused = 0;
    for (const grpc::Status& status : statuses) {
      if (status.error_code() == grpc::StatusCode::NOT_FOUND) ++served;
      if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++refused;
        EXPECT_NE(status.error_message().find("--max_inflight"), std::string::npos);
      }
    }
    EXPECT_EQ(served, kMaxInflight) << mode;
    EXPECT_EQ(refused, kCalls - kMaxInflight) << mode;
    // Places are given back: the server serves again once the calls are done.
    v1::Account account;
    EXPECT_EQ(client.Get(UniqueId("nobody"), &account).error_code(), grpc::StatusCode::NOT_FOUND)
        << mode;
  }
}

TEST(LedgerConcurrency, ConcurrentRetriesOfOneRequestMoveMoneyOnce) {
  constexpr int kRetries = 64;
  ServerProcess server;
  ASSERT_NE(server.port(), 0);
  LedgerClient client(server.address());
  const std::string from = UniqueId("retried-from");
  const std::string to = UniqueId("retried-to");
  ASSERT_TRUE(client.Open(from, 100).ok());
  ASSERT_TRUE(client.Open(to, 0).ok());
  // Affordable twice, so only idempotency stops a second debit.
  const v1::TransferRequest request = Request(UniqueId("retried"), from, to, 40);
  const std::vector<Outcome> outcomes =
      TransferAll(client.stub(), std::vector<v1::TransferRequest>(kRetries, request), kRetries);
  for (const Outcome& outcome : outcomes) {
    ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
    EXPECT_EQ(outcome.receipt.SerializeAsString(), outcomes[0].receipt.SerializeAsString());
  }
  v1::Account account;
  ASSERT_TRUE(client.Get(from, &account).ok());
  EXPECT_EQ(account.balance(), 60);
  EXPECT_EQ(account.version(), 2u);
}

}  // namespace
}  // namespace ledger::testing
