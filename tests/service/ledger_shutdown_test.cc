// SIGTERM as Kubernetes sends it, under load: health turns NOT_SERVING at
// once, calls are still served for --drain_grace, no call the server accepted
// before the signal fails, and the process exits 0.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/service/ledger_client.h"
#include "tests/support/server_process.h"

namespace ledger::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct Call {
  Clock::time_point start;
  Clock::time_point end;
  grpc::StatusCode code;
};

class LedgerShutdown : public ::testing::TestWithParam<std::string> {};

TEST_P(LedgerShutdown, SigtermDrainsWithoutFailingAcceptedCalls) {
  const std::string mode = GetParam();
  constexpr auto kGrace = std::chrono::seconds(2);
  ServerProcess server(
      {"--mode=" + mode, "--drain_grace=2s", "--store_latency=100ms", "--shutdown_timeout=3s"});
  ASSERT_NE(server.port(), 0);
  LedgerClient setup(server.address());
  const std::string account = UniqueId("drain");
  ASSERT_TRUE(setup.Open(account, 1).ok());

  // Callers on channels of their own call in a loop until the server is gone.
  constexpr int kCallers = 8;
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<Call> calls;
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&] {
      LedgerClient client(server.address());
      while (!stop.load()) {
        v1::Account found;
        const Clock::time_point start = Clock::now();
        const grpc::StatusCode code = client.Get(account, &found).error_code();
        std::lock_guard lock(mutex);
        calls.push_back({start, Clock::now(), code});
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  const Clock::time_point signalled = Clock::now();
  int exit_code = -1;
  std::thread stopper([&] { exit_code = server.Stop(SIGTERM); });
  // Health says NOT_SERVING at once, while calls are still served.
  auto status = grpc::health::v1::HealthCheckResponse::SERVING;
  while (status == grpc::health::v1::HealthCheckResponse::SERVING &&
         Clock::now() - signalled < std::chrono::seconds(1)) {
    status = HealthOf(Connect(server.address()));
  }
  EXPECT_EQ(status, grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  stopper.join();
  const Clock::time_point exited = Clock::now();
  stop = true;
  for (auto& caller : callers) caller.join();

  EXPECT_EQ(exit_code, 0);
  // The grace, the last calls (100 ms), civetweb's stop (2 s) and, in thread
  // mode, gRPC waiting for the callers' idle connections (--shutdown_timeout).
  EXPECT_GE(exited - signalled, kGrace);
  EXPECT_LT(exited - signalled, kGrace + std::chrono::seconds(3 + 2 + 2));

  int before = 0, during_grace = 0;
  for (const Call& call : calls) {
    if (call.start < signalled) {
      ++before;
      EXPECT_EQ(call.code, grpc::StatusCode::OK) << "a call accepted before SIGTERM failed";
    } else if (call.start < signalled + kGrace - std::chrono::milliseconds(200)) {
      ++during_grace;
      EXPECT_EQ(call.code, grpc::StatusCode::OK) << "a call during --drain_grace failed";
    }
  }
  EXPECT_GE(before, kCallers);
  EXPECT_GE(during_grace, kCallers);  // each caller went on being served
}

INSTANTIATE_TEST_SUITE_P(Modes, LedgerShutdown, ::testing::Values("coroutine", "thread"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ledger::testing
