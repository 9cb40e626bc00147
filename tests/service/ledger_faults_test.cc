// Faults inside the server, in each mode: both real servers (CoroutineServer,
// ThreadServer) in this process on real sockets, over a store that fails on
// demand, with the real ServerMetrics scraped over HTTP and the server's log
// (stderr) read back. A call whose store throws ends INTERNAL, one whose store
// is unavailable ends UNAVAILABLE; each is counted once under its method and
// code and logged in exactly one line naming both, and the healthy calls
// running beside them all succeed.
#include <grpcpp/security/server_credentials.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "contract/metric_names.h"
#include "coro/thread_pool.h"
#include "logging/log.h"
#include "service/ledger/ledger.h"
#include "service/main/defaults.h"
#include "service/main/log_flags.h"
#include "service/metrics/server_metrics.h"
#include "service/security/authenticator.h"
#include "service/serving/coroutine_server.h"
#include "service/serving/thread_server.h"
#include "service/stores/io_wait.h"
#include "service/stores/memory_store.h"
#include "service/stores/simulated_io_store.h"
#include "tests/service/ledger_client.h"
#include "tests/support/metrics_scrape.h"

namespace ledger::testing {
namespace {

// What ledger-server gives each port when no flag says otherwise.
const ConnectionLimits kLimits{
    .max_message_bytes = kDefaultMaxMessageBytes,
    .max_concurrent_streams = kDefaultMaxConcurrentStreams,
    .max_connection_idle = kDefaultMaxConnectionIdle,
    .handshake_timeout = kDefaultHandshakeTimeout,
    .keepalive_time = kDefaultKeepaliveTime,
    .keepalive_timeout = kDefaultKeepaliveTimeout,
};

// The memory store, except that a transfer whose request_id starts with
// "throw-" makes CommitTransfer throw, and one starting with "unavailable-"
// finds the store unreachable.
class FaultyStore final : public LedgerStore {
 public:
  explicit FaultyStore(LedgerStore& store) : store_(store) {}

  absl::string_view name() const override { return store_.name(); }
  coro::Task<absl::StatusOr<v1::Account>> OpenAccount(
      std::string id, std::string owner, int64_t initial_balance,
      const coro::Cancellation& cancellation) override {
    return store_.OpenAccount(std::move(id), std::move(owner), initial_balance, cancellation);
  }
  coro::Task<absl::StatusOr<AccountRecord>> GetAccount(
      std::string id, const coro::Cancellation& cancellation) override {
    return store_.GetAccount(std::move(id), cancellation);
  }
  coro::Task<absl::StatusOr<v1::TransferReceipt>> CommitTransfer(
      v1::TransferRequest transfer, const Caller& caller,
      const coro::Cancellation& cancellation) override {
    if (absl::StartsWith(transfer.request_id(), "throw-")) {
      throw std::runtime_error("injected fault for " + transfer.request_id());
    }
    if (absl::StartsWith(transfer.request_id(), "unavailable-")) {
      co_return absl::UnavailableError("the store cannot be reached (injected)");
    }
    co_return co_await store_.CommitTransfer(std::move(transfer), caller, cancellation);
  }
  coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> ListTransfers(
      std::string account_id, uint64_t after_sequence, int max_count,
      const coro::Cancellation& cancellation) override {
    return store_.ListTransfers(std::move(account_id), after_sequence, max_count, cancellation);
  }

 private:
  LedgerStore& store_;
};

// One mode's server as ledger-server builds it (a millisecond of simulated
// I/O per store call, waited the mode's way), over the faulty store.
class ServerInProcess {
 public:
  explicit ServerInProcess(const std::string& mode)
      : mode_(mode),
        io_wait_(mode == "coroutine" ? std::unique_ptr<IoWait>(std::make_unique<AwaitAlarm>())
                                     : std::make_unique<BlockThread>()),
        slow_(faulty_, absl::Milliseconds(1), *io_wait_) {
    // Lines as ledger-server writes them, which FailedCallLines() looks for.
    logging::Configure(kServerLogName, logging::Level::kInfo, logging::Format::kText);
    const auto credentials = grpc::InsecureServerCredentials();
    if (mode == "coroutine") {
      coroutine_ = std::make_unique<CoroutineServer>(
          "127.0.0.1:0", credentials, kLimits, ledger_, anyone_, /*threads=*/2,
          /*accepts_per_thread=*/16, /*max_inflight=*/1000,
          metrics_.AddCallSeries(ServingMode::kCoroutine));
      port_ = coroutine_->port();
    } else {
      thread_ = std::make_unique<ThreadServer>(
          "127.0.0.1:0", credentials, kLimits, ledger_, anyone_,
          /*max_threads=*/64, /*max_inflight=*/1000, metrics_.AddCallSeries(ServingMode::kThread));
      port_ = thread_->port();
    }
    metrics_port_ = metrics_.Serve("127.0.0.1", 0).value_or(0);
  }
  ~ServerInProcess() {
    if (coroutine_) coroutine_->Shutdown(absl::Now() + absl::Seconds(5));
    if (thread_) thread_->Shutdown(absl::Now() + absl::Seconds(5));
    metrics_.Stop();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }

  double Handled(const Scrape& scrape, const std::string& method, const std::string& type,
                 const std::string& code) const {
    return scrape.Value("grpc_server_handled_total", {{"grpc_service", "ledger.v1.Ledger"},
                                                      {"grpc_method", method},
                                                      {"grpc_type", type},
                                                      {"mode", mode_},
                                                      {"grpc_code", code}});
  }

 private:
  const std::string mode_;
  coro::ThreadPool workers_{2};
  metrics::ServerMetrics metrics_;
  MemoryStore memory_;
  FaultyStore faulty_{memory_};
  std::unique_ptr<IoWait> io_wait_;
  SimulatedIoStore slow_;
  Ledger ledger_{slow_, workers_};
  security::Authenticator anyone_;
  std::unique_ptr<CoroutineServer> coroutine_;  // last: gone before what they use
  std::unique_ptr<ThreadServer> thread_;
  int port_ = 0;
  int metrics_port_ = 0;
};

// Everything written to this process's stderr (fd 2) while it lives; the
// server's log is stderr. What it caught is written to stderr again when it
// stops, so a failing test still shows it.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()), saved_(dup(STDERR_FILENO)) {
    std::fflush(stderr);
    dup2(fileno(file_), STDERR_FILENO);
  }
  ~StderrCapture() {
    if (file_) Stop();
  }

  std::string Stop() {
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    std::string text;
    std::rewind(file_);
    char buffer[4096];
    for (size_t got; (got = std::fread(buffer, 1, sizeof buffer, file_)) > 0;) {
      text.append(buffer, got);
    }
    std::fclose(std::exchange(file_, nullptr));
    std::fputs(text.c_str(), stderr);
    return text;
  }

 private:
  std::FILE* file_;
  int saved_;
};

// The lines of `log` that are failed-call lines of `mode`.
std::vector<std::string> FailedCallLines(const std::string& log, const std::string& mode) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "ledger-server: failed call: ") &&
        absl::StrContains(line, " mode=" + mode + " ")) {
      lines.emplace_back(line);
    }
  }
  return lines;
}

int CountContaining(const std::vector<std::string>& lines, const std::string& text) {
  int count = 0;
  for (const std::string& line : lines) count += absl::StrContains(line, text) ? 1 : 0;
  return count;
}

class LedgerFaults : public ::testing::TestWithParam<std::string> {};

TEST_P(LedgerFaults, AFaultEndsOnlyItsOwnCallAndIsCountedAndLoggedOnce) {
  const std::string mode = GetParam();
  ServerInProcess server(mode);
  ASSERT_NE(server.port(), 0);
  ASSERT_NE(server.metrics_port(), 0);
  LedgerClient client(server.address());
  const std::string payer = UniqueId("payer");
  const std::string payee = UniqueId("payee");
  ASSERT_TRUE(client.Open(payer, 1000).ok());
  ASSERT_TRUE(client.Open(payee, 0).ok());
  constexpr int kHealthyCallers = 4;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < kHealthyCallers; ++i) {
    pairs.emplace_back(UniqueId("healthy-a"), UniqueId("healthy-b"));
    ASSERT_TRUE(client.Open(pairs.back().first, 100).ok());
    ASSERT_TRUE(client.Open(pairs.back().second, 100).ok());
  }
  const Scrape before = Scrape::From(server.metrics_port());
  StderrCapture log;

  // Healthy callers, each on a connection of its own, call until the faults
  // are over (and at least 20 times): every call must succeed.
  std::atomic<bool> faults_done{false};
  std::vector<int> transfers(kHealthyCallers, 0);
  std::vector<int> gets(kHealthyCallers, 0);
  std::vector<int> failures(kHealthyCallers, 0);
  std::vector<std::thread> callers;
  for (int i = 0; i < kHealthyCallers; ++i) {
    callers.emplace_back([&, i] {
      LedgerClient healthy(server.address());
      const auto& [a, b] = pairs[i];
      for (int n = 0; n < 20 || !faults_done.load(); ++n) {
        const bool forth = n % 2 == 0;
        failures[i] +=
            healthy.Transfer(UniqueId("healthy"), forth ? a : b, forth ? b : a, 1).ok() ? 0 : 1;
        ++transfers[i];
        v1::Account account;
        failures[i] += healthy.Get(a, &account).ok() ? 0 : 1;
        ++gets[i];
      }
    });
  }

  // The faulty calls, one at a time, while the healthy ones go on.
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::TransferReceipt receipt;
    const grpc::Status status = client.stub().Transfer(
        &context, Request(UniqueId("throw-unary"), payer, payee, 7), &receipt);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
    // The client learns nothing of the exception.
    EXPECT_EQ(status.error_message(), "internal error");
    EXPECT_EQ(status.error_details(), "");
    // Nor does its trailing metadata carry it (the log gets it directly).
    EXPECT_TRUE(context.GetServerTrailingMetadata().empty());
  }
  EXPECT_EQ(client.Transfer(UniqueId("unavailable-unary"), payer, payee, 7).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ImportSummary summary;
    auto writer = client.stub().ImportTransfers(&context, &summary);
    ASSERT_TRUE(writer->Write(Request(UniqueId("import"), payer, payee, 5)));
    ASSERT_TRUE(writer->Write(Request(UniqueId("throw-import"), payer, payee, 7)));
    writer->WritesDone();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::INTERNAL);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    auto stream = client.stub().TransferStream(&context);
    ASSERT_TRUE(stream->Write(Request(UniqueId("throw-stream"), payer, payee, 7)));
    stream->WritesDone();
    v1::TransferResult result;
    while (stream->Read(&result)) {
    }
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::INTERNAL);
  }
  faults_done = true;
  for (std::thread& caller : callers) caller.join();
  const std::string logged = log.Stop();

  int healthy_transfers = 0;
  int healthy_gets = 0;
  for (int i = 0; i < kHealthyCallers; ++i) {
    EXPECT_EQ(failures[i], 0) << "healthy caller " << i;
    healthy_transfers += transfers[i];
    healthy_gets += gets[i];
  }

  // Counted once each, under its method and code; the healthy calls as OK.
  const Scrape after = Scrape::From(server.metrics_port());
  auto rose = [&](const std::string& method, const std::string& type, const std::string& code) {
    return server.Handled(after, method, type, code) - server.Handled(before, method, type, code);
  };
  for (const std::string code : metrics::kGoCodeNames) {
    const double transfer_expected = code == "OK" ? healthy_transfers
                                     : code == "Internal" || code == "Unavailable" ? 1
                                                                                   : 0;
    EXPECT_EQ(rose("Transfer", "unary", code), transfer_expected) << code;
    EXPECT_EQ(rose("GetAccount", "unary", code), code == "OK" ? healthy_gets : 0) << code;
    EXPECT_EQ(rose("ImportTransfers", "client_stream", code), code == "Internal" ? 1 : 0) << code;
    EXPECT_EQ(rose("TransferStream", "bidi_stream", code), code == "Internal" ? 1 : 0) << code;
  }

  // Logged once each, naming method and code; the exception's word is there.
  const std::vector<std::string> lines = FailedCallLines(logged, mode);
  EXPECT_EQ(lines.size(), 4u);
  const std::string method = "method=/ledger.v1.Ledger/";
  EXPECT_EQ(CountContaining(lines, method + "Transfer code=INTERNAL "), 1);
  EXPECT_EQ(CountContaining(lines, method + "Transfer code=UNAVAILABLE "), 1);
  EXPECT_EQ(CountContaining(lines, method + "ImportTransfers code=INTERNAL "), 1);
  EXPECT_EQ(CountContaining(lines, method + "TransferStream code=INTERNAL "), 1);
  EXPECT_EQ(CountContaining(lines, "detail=\"injected fault for throw-"), 3);
  EXPECT_EQ(CountContaining(lines, "message=\"the store cannot be reached (injected)\""), 1);
  EXPECT_EQ(CountContaining(lines, " peer=ipv"), 4);

  // Only the import's first transfer moved money; the healthy pairs kept theirs.
  v1::Account account;
  ASSERT_TRUE(client.Get(payer, &account).ok());
  EXPECT_EQ(account.balance(), 1000 - 5);
  EXPECT_EQ(account.version(), 2u);
  for (const auto& [a, b] : pairs) {
    v1::Account account_b;
    ASSERT_TRUE(client.Get(a, &account).ok());
    ASSERT_TRUE(client.Get(b, &account_b).ok());
    EXPECT_EQ(account.balance() + account_b.balance(), 200);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, LedgerFaults, ::testing::Values("coroutine", "thread"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ledger::testing
