// /metrics as Prometheus scrapes it from the real server: every series there
// from start-up, and each call counted in its own mode, method and code.
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "contract/metric_names.h"
#include "tests/service/ledger_client.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/server_process.h"

namespace ledger::testing {
namespace {

const std::vector<std::string> kModes = {"coroutine", "thread"};

// The methods of ledger.v1.Ledger and their go-grpc-middleware grpc_type.
const std::vector<std::pair<std::string, std::string>> kMethods = {
    {"OpenAccount", "unary"},
    {"GetAccount", "unary"},
    {"Transfer", "unary"},
    {"ListTransfers", "server_stream"},
    {"ImportTransfers", "client_stream"},
    {"TransferStream", "bidi_stream"},
    {"Audit", "unary"}};

Labels Call(const std::string& mode, const std::string& method) {
  for (const auto& [name, type] : kMethods) {
    if (name == method) {
      return {{"grpc_service", "ledger.v1.Ledger"},
              {"grpc_method", method},
              {"grpc_type", type},
              {"mode", mode}};
    }
  }
  ADD_FAILURE() << "no method " << method;
  return {};
}

Labels With(Labels labels, const std::string& name, const std::string& value) {
  labels[name] = value;
  return labels;
}

double Handled(const Scrape& scrape, const std::string& mode, const std::string& method,
               const std::string& code) {
  return scrape.Value("grpc_server_handled_total", With(Call(mode, method), "grpc_code", code));
}

TEST(LedgerMetrics, EverySeriesIsThereAtZeroFromStartUp) {
  ServerProcess server({"--threads=2", "--workers=3"});
  const Scrape scrape = Scrape::From(server.port("metrics"));

  for (const std::string& mode : kModes) {
    for (const auto& [method, type] : kMethods) {
      const Labels call = Call(mode, method);
      EXPECT_EQ(scrape.Value("grpc_server_started_total", call), 0);
      EXPECT_EQ(scrape.Value("grpc_server_msg_received_total", call), 0);
      EXPECT_EQ(scrape.Value("grpc_server_msg_sent_total", call), 0);
      for (const std::string code : metrics::kGoCodeNames)
        EXPECT_EQ(Handled(scrape, mode, method, code), 0);
      EXPECT_EQ(scrape.Value("grpc_server_handling_seconds_count", call), 0);
      EXPECT_EQ(scrape.Value("grpc_server_handling_seconds_bucket", With(call, "le", "+Inf")), 0);
    }
    for (const std::string op :
         {"open_account", "get_account", "commit_transfer", "list_transfers"}) {
      EXPECT_EQ(scrape.Value("ledger_store_operation_seconds_count",
                             {{"op", op}, {"store", "memory"}, {"mode", mode}}),
                0);
    }
    EXPECT_EQ(scrape.Value("ledger_inflight_calls", {{"mode", mode}}), 0);
  }
  // 7 methods x 2 modes, and each with all 17 codes; 33 bounds and +Inf each.
  EXPECT_EQ(scrape.Count("grpc_server_started_total"), 14);
  EXPECT_EQ(scrape.Count("grpc_server_handled_total"), 14 * 17);
  EXPECT_EQ(scrape.Count("grpc_server_handling_seconds_bucket"), 14 * 34);
  EXPECT_EQ(scrape.Count("ledger_store_operation_seconds_bucket"), 8 * 34);
  // The bounds tell 0.1 ms from 1 ms from 10 ms, from 50 us to 10 s.
  const Labels transfer = Call("coroutine", "Transfer");
  for (const std::string le : {"5e-05", "0.0001", "0.001", "0.01", "10"}) {
    EXPECT_TRUE(scrape.Find("grpc_server_handling_seconds_bucket", With(transfer, "le", le)))
        << "no bucket le=" << le;
  }

  EXPECT_EQ(scrape.Value("ledger_mode_threads", {{"mode", "coroutine"}}), 2 + 3);
  EXPECT_EQ(scrape.Value("ledger_mode_threads", {{"mode", "thread"}}), 0);  // no call yet
  EXPECT_GT(scrape.Value("ledger_coroutine_frames"), 0);                    // the accepts in wait
  // Every frame holds at least its promise and resume/destroy pointers.
  EXPECT_GT(scrape.Value("ledger_coroutine_frame_bytes"),
            16 * scrape.Value("ledger_coroutine_frames"));

  EXPECT_GT(scrape.Value("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(scrape.Value("process_virtual_memory_bytes"),
            scrape.Value("process_resident_memory_bytes"));
  EXPECT_GE(scrape.Value("process_cpu_seconds_total"), 0);
  EXPECT_GE(scrape.Value("process_threads"), 2 + 3);
  EXPECT_GE(scrape.Value("process_open_fds"), 3);
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);  // the server inherits ours
  EXPECT_EQ(scrape.Value("process_max_fds"), static_cast<double>(files.rlim_cur));
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_NEAR(scrape.Value("process_start_time_seconds"), now, 60);
}

// The embedded store waits its latency in both modes, each the way its mode
// waits, and each mode's store calls are timed in its own series. How close
// the two waits are is a measurement (make compare), not a test: a timed
// ratio would fail on a busy machine while the product is right.
TEST(LedgerMetrics, TheStoreWaitsItsLatencyInBothModes) {
  constexpr int kCalls = 300;
  ServerProcess server({"--store_latency=1ms"});
  std::map<std::string, double> mean_seconds;
  for (const std::string& mode : kModes) {
    LedgerClient client(server.address(mode));
    const std::string id = UniqueId("a");
    ASSERT_TRUE(client.Open(id, 1).ok());
    v1::Account account;
    for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(client.Get(id, &account).ok());
    const Scrape scrape = Scrape::From(server.port("metrics"));
    const Labels get = {{"op", "get_account"}, {"store", "memory"}, {"mode", mode}};
    ASSERT_EQ(scrape.Value("ledger_store_operation_seconds_count", get), kCalls);
    mean_seconds[mode] = scrape.Value("ledger_store_operation_seconds_sum", get) / kCalls;
    EXPECT_GE(mean_seconds[mode], 0.001) << mode;  // the latency is a floor
  }
}

class LedgerMetricsPerMode : public ::testing::TestWithParam<std::string> {
 protected:
  // Both modes, so each test also sees that the other mode is untouched.
  ServerProcess server_{{"--store_latency=1ms"}};
  LedgerClient client_{server_.address(GetParam())};
  const std::string mode_ = GetParam();
  const std::string other_mode_ = GetParam() == "coroutine" ? "thread" : "coroutine";
};

TEST_P(LedgerMetricsPerMode, UnaryCallsAreCountedByMethodAndCode) {
  const std::string a = UniqueId("a"), b = UniqueId("b");
  ASSERT_TRUE(client_.Open(a, 100).ok());
  ASSERT_TRUE(client_.Open(b, 0).ok());
  EXPECT_EQ(client_.Open(a, 5).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  v1::Account account;
  EXPECT_EQ(client_.Get(UniqueId("nobody"), &account).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(client_.Transfer(UniqueId("t"), a, b, 0).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(client_.Transfer(UniqueId("t"), a, b, 30).ok());

  const Scrape scrape = Scrape::From(server_.port("metrics"));
  const Labels open = Call(mode_, "OpenAccount");
  EXPECT_EQ(scrape.Value("grpc_server_started_total", open), 3);
  EXPECT_EQ(Handled(scrape, mode_, "OpenAccount", "OK"), 2);
  EXPECT_EQ(Handled(scrape, mode_, "OpenAccount", "AlreadyExists"), 1);
  EXPECT_EQ(scrape.Value("grpc_server_msg_received_total", open), 3);
  EXPECT_EQ(scrape.Value("grpc_server_msg_sent_total", open), 2);  // no reply on error
  EXPECT_EQ(Handled(scrape, mode_, "GetAccount", "NotFound"), 1);
  EXPECT_EQ(Handled(scrape, mode_, "GetAccount", "OK"), 0);
  EXPECT_EQ(Handled(scrape, mode_, "Transfer", "InvalidArgument"), 1);
  EXPECT_EQ(Handled(scrape, mode_, "Transfer", "OK"), 1);

  // Every OpenAccount waited on the store (1 ms), so none is below 1 ms.
  EXPECT_EQ(scrape.Value("grpc_server_handling_seconds_count", open), 3);
  EXPECT_EQ(scrape.Value("grpc_server_handling_seconds_bucket", With(open, "le", "0.001")), 0);
  EXPECT_EQ(scrape.Value("grpc_server_handling_seconds_bucket", With(open, "le", "+Inf")), 3);
  EXPECT_GE(scrape.Value("grpc_server_handling_seconds_sum", open), 0.003);

  const Labels store = {{"store", "memory"}, {"mode", mode_}};
  EXPECT_EQ(scrape.Value("ledger_store_operation_seconds_count", With(store, "op", "open_account")),
            3);
  // The invalid transfer is refused before it reaches the store.
  EXPECT_EQ(
      scrape.Value("ledger_store_operation_seconds_count", With(store, "op", "commit_transfer")),
      1);
  EXPECT_EQ(scrape.Value("ledger_store_operation_seconds_bucket",
                         With(With(store, "op", "open_account"), "le", "0.001")),
            0);

  for (const auto& [method, type] : kMethods) {
    EXPECT_EQ(scrape.Value("grpc_server_started_total", Call(other_mode_, method)), 0) << method;
  }
  EXPECT_EQ(scrape.Value("ledger_store_operation_seconds_count",
                         {{"op", "open_account"}, {"store", "memory"}, {"mode", other_mode_}}),
            0);
}

TEST_P(LedgerMetricsPerMode, StreamMessagesAreCountedOneByOne) {
  const std::string a = UniqueId("a"), b = UniqueId("b");
  ASSERT_TRUE(client_.Open(a, 100).ok());
  ASSERT_TRUE(client_.Open(b, 0).ok());
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ImportSummary summary;
    auto writer = client_.stub().ImportTransfers(&context, &summary);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer->Write(Request(UniqueId("i"), a, b, 1)));
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    v1::ListTransfersRequest request;
    request.set_account_id(a);
    auto reader = client_.stub().ListTransfers(&context, request);
    v1::TransferReceipt receipt;
    int receipts = 0;
    while (reader->Read(&receipt)) ++receipts;
    ASSERT_TRUE(reader->Finish().ok());
    ASSERT_EQ(receipts, 3);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context);
    auto stream = client_.stub().TransferStream(&context);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(stream->Write(Request(UniqueId("s"), a, b, 1)));
    stream->WritesDone();
    v1::TransferResult result;
    int results = 0;
    while (stream->Read(&result)) ++results;
    ASSERT_TRUE(stream->Finish().ok());
    ASSERT_EQ(results, 4);
  }

  const Scrape scrape = Scrape::From(server_.port("metrics"));
  const Labels import = Call(mode_, "ImportTransfers");
  EXPECT_EQ(scrape.Value("grpc_server_msg_received_total", import), 3);
  EXPECT_EQ(scrape.Value("grpc_server_msg_sent_total", import), 1);
  EXPECT_EQ(Handled(scrape, mode_, "ImportTransfers", "OK"), 1);
  const Labels list = Call(mode_, "ListTransfers");
  EXPECT_EQ(scrape.Value("grpc_server_msg_received_total", list), 1);
  EXPECT_EQ(scrape.Value("grpc_server_msg_sent_total", list), 3);
  const Labels stream = Call(mode_, "TransferStream");
  EXPECT_EQ(scrape.Value("grpc_server_msg_received_total", stream), 4);
  EXPECT_EQ(scrape.Value("grpc_server_msg_sent_total", stream), 4);
  EXPECT_EQ(Handled(scrape, mode_, "TransferStream", "OK"), 1);
  EXPECT_EQ(scrape.Value("grpc_server_handling_seconds_count", stream), 1);
}

INSTANTIATE_TEST_SUITE_P(Modes, LedgerMetricsPerMode, ::testing::ValuesIn(kModes),
                         [](const auto& info) { return info.param; });

// Calls waiting on a slow store show in the gauges of their mode, and a call
// past --max_inflight is counted as ResourceExhausted.
class LedgerMetricsInFlight : public ::testing::TestWithParam<std::string> {};

TEST_P(LedgerMetricsInFlight, WaitingCallsShowInTheGaugesOfTheirMode) {
  const std::string mode = GetParam();
  constexpr int kWaiting = 6;
  // Every call waits 3 s at the store, far longer than six threads take to
  // start their calls: the gauges hold their values for seconds, and the
  // polling below sees them however busy the machine is.
  ServerProcess server({"--store_latency=3s", "--max_inflight=6"});
  const Scrape before = Scrape::From(server.port("metrics"));

  // Each call blocks a client thread of its own until the server answers.
  std::vector<grpc::StatusCode> codes(kWaiting);
  std::vector<std::thread> callers;
  for (int i = 0; i < kWaiting; ++i) {
    callers.emplace_back([&, i] {
      v1::Account account;
      codes[i] = LedgerClient(server.address(mode)).Get(UniqueId("nobody"), &account).error_code();
    });
  }

  // The store holds each call for 3 s; scrape while they wait.
  Scrape during = Scrape::From(server.port("metrics"));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (during.Value("ledger_inflight_calls", {{"mode", mode}}) < kWaiting &&
         std::chrono::steady_clock::now() < give_up) {
    during = Scrape::From(server.port("metrics"));
  }
  EXPECT_EQ(during.Value("ledger_inflight_calls", {{"mode", mode}}), kWaiting);
  // One call more is refused at once.
  v1::Account account;
  EXPECT_EQ(LedgerClient(server.address(mode)).Get("x", &account).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  if (mode == "thread") {
    // Each waiting call holds a thread of its own.
    EXPECT_GE(during.Value("ledger_mode_threads", {{"mode", "thread"}}), kWaiting);
  } else {
    // Each waiting call is a suspended coroutine, on the same threads as ever.
    EXPECT_GE(during.Value("ledger_coroutine_frames"),
              before.Value("ledger_coroutine_frames") + kWaiting);
    EXPECT_GT(during.Value("ledger_coroutine_frame_bytes"),
              before.Value("ledger_coroutine_frame_bytes"));
    EXPECT_EQ(during.Value("ledger_mode_threads", {{"mode", "coroutine"}}),
              before.Value("ledger_mode_threads", {{"mode", "coroutine"}}));
  }

  for (std::thread& caller : callers) caller.join();
  for (grpc::StatusCode code : codes) EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND);
  const Scrape after = Scrape::From(server.port("metrics"));
  EXPECT_EQ(after.Value("ledger_inflight_calls", {{"mode", mode}}), 0);
  EXPECT_EQ(Handled(after, mode, "GetAccount", "NotFound"), kWaiting);
  EXPECT_EQ(Handled(after, mode, "GetAccount", "ResourceExhausted"), 1);
  // The refused call is answered at once; the waiting ones took their 3 s
  // and more (the latency is a floor), and well under 7.5 s.
  const Labels get = Call(mode, "GetAccount");
  EXPECT_EQ(after.Value("grpc_server_handling_seconds_bucket", With(get, "le", "3")), 1);
  EXPECT_EQ(after.Value("grpc_server_handling_seconds_bucket", With(get, "le", "7.5")),
            kWaiting + 1);
}

INSTANTIATE_TEST_SUITE_P(Modes, LedgerMetricsInFlight, ::testing::ValuesIn(kModes),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ledger::testing
