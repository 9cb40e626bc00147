// The unary API contract (README.md, "The rules"), checked over a real loopback connection
// against the real ledger-server process. Parameterized by serving mode so
// that every mode passes the one suite.
#include <gtest/gtest.h>
#include <signal.h>

#include <limits>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/service/contract_fixture.h"
#include "tests/service/ledger_client.h"
#include "tests/support/server_process.h"

namespace ledger::testing {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

class LedgerContract : public ContractTest {};

// --- OpenAccount -----------------------------------------------------------

TEST_P(LedgerContract, OpenAccountReturnsTheAccountAtVersionOne) {
  const std::string id = UniqueId("open");
  v1::Account account;
  ASSERT_TRUE(client_->Open(id, 1234, &account).ok());
  EXPECT_EQ(account.id(), id);
  EXPECT_EQ(account.balance(), 1234);
  EXPECT_EQ(account.version(), 1u);
  v1::Account fetched = MustGet(id);
  EXPECT_EQ(fetched.SerializeAsString(), account.SerializeAsString());
}

TEST_P(LedgerContract, OpenAccountAcceptsZeroAndTheLargestBalance) {
  EXPECT_EQ(MustGet(OpenWith("zero", 0)).balance(), 0);
  EXPECT_EQ(MustGet(OpenWith("max", kMax)).balance(), kMax);
}

TEST_P(LedgerContract, OpenAccountRejectsANegativeBalance) {
  const std::string id = UniqueId("negative");
  EXPECT_EQ(client_->Open(id, -1).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::Account account;
  EXPECT_EQ(client_->Get(id, &account).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(LedgerContract, AccountIdsAreOneTo64CharactersOfTheAllowedSet) {
  EXPECT_TRUE(client_->Open(UniqueId("Az09_.-"), 0).ok());
  const std::string longest = UniqueId("long");
  const std::string id64 = longest + std::string(64 - longest.size(), 'x');
  EXPECT_TRUE(client_->Open(id64, 0).ok());
  for (const std::string& bad :
       {std::string(""), id64 + "y", std::string("has space"), std::string("slash/"),
        std::string("caf\xc3\xa9"), std::string("semi;colon"), std::string("nul\0x", 5)}) {
    EXPECT_EQ(client_->Open(bad, 0).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    v1::Account account;
    EXPECT_EQ(client_->Get(bad, &account).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
  }
}

TEST_P(LedgerContract, OpeningAnExistingAccountIsAlreadyExistsAndChangesNothing) {
  const std::string id = OpenWith("twice", 50);
  EXPECT_EQ(client_->Open(id, 999).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  const v1::Account account = MustGet(id);
  EXPECT_EQ(account.balance(), 50);
  EXPECT_EQ(account.version(), 1u);
}

// --- GetAccount ------------------------------------------------------------

TEST_P(LedgerContract, GetAccountOfAnUnknownIdIsNotFound) {
  v1::Account account;
  const grpc::Status status = client_->Get(UniqueId("nobody"), &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("not found"), std::string::npos);
}

TEST_P(LedgerContract, VersionGrowsByOneWithEachTransferTouchingTheAccount) {
  const std::string a = OpenWith("ver-a", 100);
  const std::string b = OpenWith("ver-b", 100);
  const std::string c = OpenWith("ver-c", 100);
  ASSERT_TRUE(client_->Transfer(UniqueId("r"), a, b, 10).ok());
  ASSERT_TRUE(client_->Transfer(UniqueId("r"), b, c, 10).ok());
  ASSERT_TRUE(client_->Transfer(UniqueId("r"), c, a, 10).ok());
  ASSERT_TRUE(client_->Transfer(UniqueId("r"), a, c, 10).ok());
  EXPECT_EQ(MustGet(a).version(), 4u);  // 1 + three transfers
  EXPECT_EQ(MustGet(b).version(), 3u);
  EXPECT_EQ(MustGet(c).version(), 4u);
  // A rejected transfer is not committed and does not count.
  EXPECT_EQ(client_->Transfer(UniqueId("r"), a, b, 1000).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(MustGet(a).version(), 4u);
  EXPECT_EQ(MustGet(b).version(), 3u);
}

// --- Transfer --------------------------------------------------------------

TEST_P(LedgerContract, TransferMovesMoneyAndReturnsAFullReceipt) {
  const std::string from = OpenWith("payer", 1000);
  const std::string to = OpenWith("payee", 5);
  const std::string request_id = UniqueId("request");
  const absl::Time before = absl::Now();
  v1::TransferReceipt receipt;
  ASSERT_TRUE(client_->Transfer(request_id, from, to, 300, &receipt).ok());
  const absl::Time after = absl::Now();
  EXPECT_GT(receipt.sequence(), 0u);
  EXPECT_EQ(receipt.request_id(), request_id);
  EXPECT_EQ(receipt.from_id(), from);
  EXPECT_EQ(receipt.to_id(), to);
  EXPECT_EQ(receipt.amount(), 300);
  EXPECT_EQ(receipt.from_balance(), 700);
  EXPECT_EQ(receipt.to_balance(), 305);
  const absl::Time committed = absl::FromUnixSeconds(receipt.committed_at().seconds()) +
                               absl::Nanoseconds(receipt.committed_at().nanos());
  EXPECT_GE(committed, before - absl::Seconds(1));
  EXPECT_LE(committed, after + absl::Seconds(1));
  EXPECT_EQ(MustGet(from).balance(), 700);
  EXPECT_EQ(MustGet(to).balance(), 305);
}

TEST_P(LedgerContract, SequencesIncreaseWithCommitOrder) {
  const std::string a = OpenWith("seq-a", 100);
  const std::string b = OpenWith("seq-b", 100);
  uint64_t previous = 0;
  for (int i = 0; i < 5; ++i) {
    v1::TransferReceipt receipt;
    ASSERT_TRUE(client_->Transfer(UniqueId("seq"), i % 2 ? a : b, i % 2 ? b : a, 1, &receipt).ok());
    EXPECT_GT(receipt.sequence(), previous);
    previous = receipt.sequence();
  }
}

TEST_P(LedgerContract, TheWholeBalanceCanBeMoved) {
  const std::string from = OpenWith("all-in", 42);
  const std::string to = OpenWith("all-out", 0);
  v1::TransferReceipt receipt;
  ASSERT_TRUE(client_->Transfer(UniqueId("r"), from, to, 42, &receipt).ok());
  EXPECT_EQ(receipt.from_balance(), 0);
  EXPECT_EQ(receipt.to_balance(), 42);
}

TEST_P(LedgerContract, RequestIdsAreOneTo128Characters) {
  const std::string from = OpenWith("rid-a", 100);
  const std::string to = OpenWith("rid-b", 100);
  const std::string stem = UniqueId("rid");
  EXPECT_TRUE(client_->Transfer(stem + std::string(128 - stem.size(), 'r'), from, to, 1).ok());
  EXPECT_EQ(client_->Transfer("", from, to, 1).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client_->Transfer(std::string(129, 'r'), from, to, 1).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(MustGet(from).balance(), 99);
}

TEST_P(LedgerContract, InvalidTransfersAreInvalidArgumentAndMoveNothing) {
  const std::string a = OpenWith("inv-a", 100);
  const std::string b = OpenWith("inv-b", 100);
  EXPECT_EQ(client_->Transfer(UniqueId("r"), a, b, 0).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client_->Transfer(UniqueId("r"), a, b, -10).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client_->Transfer(UniqueId("r"), a, a, 10).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client_->Transfer(UniqueId("r"), "bad id", b, 10).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client_->Transfer(UniqueId("r"), a, "", 10).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(MustGet(a).balance(), 100);
  EXPECT_EQ(MustGet(b).balance(), 100);
  EXPECT_EQ(MustGet(a).version(), 1u);
}

TEST_P(LedgerContract, TransferWithAnUnknownAccountIsNotFound) {
  const std::string known = OpenWith("known", 100);
  EXPECT_EQ(client_->Transfer(UniqueId("r"), known, UniqueId("ghost"), 10).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(client_->Transfer(UniqueId("r"), UniqueId("ghost"), known, 10).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(MustGet(known).balance(), 100);
  EXPECT_EQ(MustGet(known).version(), 1u);
}

TEST_P(LedgerContract, InsufficientFundsIsFailedPreconditionAndMovesNothing) {
  const std::string from = OpenWith("poor", 10);
  const std::string to = OpenWith("rich", 0);
  const grpc::Status status = client_->Transfer(UniqueId("r"), from, to, 11);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("insufficient"), std::string::npos);
  EXPECT_EQ(MustGet(from).balance(), 10);
  EXPECT_EQ(MustGet(to).balance(), 0);
}

TEST_P(LedgerContract, ACreditThatWouldOverflowIsFailedPreconditionNeverAWrap) {
  const std::string from = OpenWith("over-from", 10);
  const std::string to = OpenWith("over-to", kMax - 5);
  EXPECT_EQ(client_->Transfer(UniqueId("r"), from, to, 6).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(MustGet(from).balance(), 10);
  EXPECT_EQ(MustGet(to).balance(), kMax - 5);
  ASSERT_TRUE(client_->Transfer(UniqueId("r"), from, to, 5).ok());
  EXPECT_EQ(MustGet(to).balance(), kMax);
}

TEST_P(LedgerContract, ARetryReturnsTheOriginalReceiptAndMovesNoMoney) {
  const std::string from = OpenWith("retry-from", 100);
  const std::string to = OpenWith("retry-to", 0);
  const std::string request_id = UniqueId("retry");
  v1::TransferReceipt first;
  ASSERT_TRUE(client_->Transfer(request_id, from, to, 30, &first).ok());
  // Something else commits in between, so a replay cannot be confused with
  // the latest state.
  ASSERT_TRUE(client_->Transfer(UniqueId("other"), from, to, 1).ok());
  for (int i = 0; i < 3; ++i) {
    v1::TransferReceipt again;
    ASSERT_TRUE(client_->Transfer(request_id, from, to, 30, &again).ok());
    EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  }
  EXPECT_EQ(MustGet(from).balance(), 69);
  EXPECT_EQ(MustGet(to).balance(), 31);
  EXPECT_EQ(MustGet(from).version(), 3u);
}

TEST_P(LedgerContract, ARetryIsHonouredEvenWhenThePayerCouldNoLongerPay) {
  const std::string from = OpenWith("spent-from", 30);
  const std::string to = OpenWith("spent-to", 0);
  const std::string request_id = UniqueId("spent");
  v1::TransferReceipt first;
  ASSERT_TRUE(client_->Transfer(request_id, from, to, 30, &first).ok());
  v1::TransferReceipt again;
  ASSERT_TRUE(client_->Transfer(request_id, from, to, 30, &again).ok());
  EXPECT_EQ(again.sequence(), first.sequence());
  EXPECT_EQ(MustGet(from).balance(), 0);
}

TEST_P(LedgerContract, AReusedRequestIdWithOtherFieldsIsAlreadyExists) {
  const std::string a = OpenWith("reuse-a", 100);
  const std::string b = OpenWith("reuse-b", 100);
  const std::string c = OpenWith("reuse-c", 100);
  const std::string request_id = UniqueId("reuse");
  ASSERT_TRUE(client_->Transfer(request_id, a, b, 10).ok());
  EXPECT_EQ(client_->Transfer(request_id, a, b, 11).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(client_->Transfer(request_id, a, c, 10).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(client_->Transfer(request_id, b, a, 10).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(MustGet(a).balance(), 90);
  EXPECT_EQ(MustGet(b).balance(), 110);
  EXPECT_EQ(MustGet(c).balance(), 100);
}

// --- The standard services, and the process as operators see it ----------

INSTANTIATE_TEST_SUITE_P(Modes, LedgerContract, ::testing::ValuesIn(AllModes()), ModeTestName);

TEST(LedgerServerProcess, BothPortsServeHealth) {
  ServerProcess server({"--mode=both"});
  for (const std::string mode : {"coroutine", "thread"}) {
    ASSERT_NE(server.port(mode), 0) << mode;
    EXPECT_EQ(HealthOf(Connect(server.address(mode))),
              grpc::health::v1::HealthCheckResponse::SERVING)
        << mode;
  }
}

TEST(LedgerServerProcess, HealthIsServingAndSigtermExitsZeroPromptly) {
  for (const std::string mode : {"coroutine", "thread"}) {
    ServerProcess server({"--mode=" + mode, "--shutdown_timeout=60s"});
    ASSERT_NE(server.port(), 0);
    auto channel = Connect(server.address());
    EXPECT_EQ(HealthOf(channel), grpc::health::v1::HealthCheckResponse::SERVING) << mode;
    // The channel stays open: the server must not wait for it to hang up.
    const absl::Time start = absl::Now();
    EXPECT_EQ(server.Stop(SIGTERM), 0) << mode;
    EXPECT_LT(absl::Now() - start, absl::Seconds(30)) << mode;
  }
}

// Health as watchers see it: the whole server SERVING, then NOT_SERVING at
// SIGTERM, and then the watch ends, so the shutdown does not wait for the
// watcher to hang up. A service other than the whole server's is unknown.
TEST(LedgerServerProcess, HealthWatchSeesSigtermAndEnds) {
  using grpc::health::v1::HealthCheckResponse;
  for (const std::string mode : {"coroutine", "thread"}) {
    ServerProcess server({"--mode=" + mode, "--shutdown_timeout=60s"});
    ASSERT_NE(server.port(), 0);
    auto health = grpc::health::v1::Health::NewStub(Connect(server.address()));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service("no.such.Service");
    HealthCheckResponse response;
    {
      grpc::ClientContext context;
      SetDeadline(context);
      EXPECT_EQ(health->Check(&context, request, &response).error_code(),
                grpc::StatusCode::NOT_FOUND)
          << mode;
    }
    request.clear_service();
    grpc::ClientContext context;
    SetDeadline(context);
    auto watch = health->Watch(&context, request);
    ASSERT_TRUE(watch->Read(&response)) << mode;
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING) << mode;
    const absl::Time start = absl::Now();
    int exit_code = -1;
    std::thread stop([&] { exit_code = server.Stop(SIGTERM); });
    ASSERT_TRUE(watch->Read(&response)) << mode;
    EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING) << mode;
    EXPECT_FALSE(watch->Read(&response)) << mode;
    watch->Finish().IgnoreError();
    stop.join();
    EXPECT_EQ(exit_code, 0) << mode;
    EXPECT_LT(absl::Now() - start, absl::Seconds(30)) << mode;
  }
}

TEST(LedgerServerProcess, SigintExitsZeroWhileACallIsInFlight) {
  ServerProcess server({"--mode=coroutine", "--store_latency=1s"});
  ASSERT_NE(server.port(), 0);
  LedgerClient client(server.address());
  v1::Account ignored;
  // Connects first, so that the slow call below is on the server well
  // within the pause before the signal, even on a slow (sanitized) build.
  ASSERT_EQ(client.Get(UniqueId("nobody"), &ignored).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::Status status;
  std::thread slow([&] { status = client.Open(UniqueId("slow"), 1); });
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(server.Stop(SIGINT), 0);
  slow.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace ledger::testing
