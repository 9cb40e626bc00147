// The pure parts of ledger-load: the --mix grammar, the workload's
// determinism under --seed, and reading Prometheus samples and addresses.
#include "client/load/workload.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "client/load/metrics_probe.h"
#include "client/load/prometheus_text.h"

namespace ledger::load {
namespace {

TEST(Mix, ParsesWeightsAndLeavesOutMeansZero) {
  absl::StatusOr<Mix> mix = ParseMix("transfer:3, get:1");
  ASSERT_TRUE(mix.ok()) << mix.status();
  EXPECT_EQ(mix->weights, (std::array<int, kOperationKinds>{1, 3, 0, 0, 0, 0, 0}));
  EXPECT_EQ(FormatMix(*mix), "get:1,transfer:3");
  absl::StatusOr<Mix> every = ParseMix("audit:1,import:2,open:3,stream:4,list:5,transfer:6,get:7");
  ASSERT_TRUE(every.ok()) << every.status();
  EXPECT_EQ(FormatMix(*every), "get:7,transfer:6,list:5,stream:4,open:3,import:2,audit:1");
}

TEST(Mix, RefusesWhatItCannotMean) {
  for (const char* bad : {"", "get:0", "fetch:1", "get:1,get:2", "get:-1", "get", "get:x"}) {
    EXPECT_FALSE(ParseMix(bad).ok()) << bad;
  }
}

WorkloadOptions Options(uint64_t seed, const std::string& request_prefix) {
  WorkloadOptions options;
  options.account_ids = AccountIds("acct-", 10);
  options.seed = seed;
  options.request_id_prefix = request_prefix;
  options.stream_transfers = 3;
  options.max_amount = 50;
  return options;
}

// The transfers an operation makes: none, one, or a stream's.
std::vector<v1::TransferRequest> TransfersOf(const Operation& operation) {
  if (auto* transfer = std::get_if<Transfer>(&operation)) return {transfer->request};
  if (auto* stream = std::get_if<TransferStream>(&operation)) return stream->requests;
  return {};
}

// Kind, accounts and amounts of an operation, without request ids.
std::string Shape(const Operation& operation) {
  std::string shape = std::string(kOperationNames[operation.index()]) + ":";
  if (auto* get = std::get_if<GetAccount>(&operation)) shape += get->request.id();
  if (auto* list = std::get_if<ListTransfers>(&operation)) {
    shape += list->request.account_id() + "/" + std::to_string(list->request.limit());
  }
  for (const v1::TransferRequest& transfer : TransfersOf(operation)) {
    shape +=
        "/" + transfer.from_id() + ">" + transfer.to_id() + "=" + std::to_string(transfer.amount());
  }
  return shape;
}

TEST(Workload, TheSameSeedDrawsTheSameOperationsWithFreshRequestIds) {
  Workload first(Options(7, "run1-"));
  Workload second(Options(7, "run2-"));
  Workload other(Options(8, "run1-"));
  int differences_from_other_seed = 0;
  std::set<std::string> request_ids;
  std::array<int, kOperationKinds> kinds{};
  for (int i = 0; i < 2000; ++i) {
    const Operation a = first.Next();
    const Operation b = second.Next();
    ASSERT_EQ(Shape(a), Shape(b)) << i;
    if (Shape(a) != Shape(other.Next())) ++differences_from_other_seed;
    ++kinds[a.index()];
    for (const v1::TransferRequest& transfer : TransfersOf(a)) {
      EXPECT_NE(transfer.from_id(), transfer.to_id());
      EXPECT_GE(transfer.amount(), 1);
      EXPECT_LE(transfer.amount(), 50);
      EXPECT_TRUE(request_ids.insert(transfer.request_id()).second) << transfer.request_id();
      EXPECT_EQ(transfer.request_id().rfind("run1-", 0), 0u);
    }
    if (auto* stream = std::get_if<TransferStream>(&a)) {
      EXPECT_EQ(stream->requests.size(), 3u);
    }
    if (auto* list = std::get_if<ListTransfers>(&a)) {
      EXPECT_EQ(list->request.limit(), 20u);
    }
  }
  EXPECT_GT(differences_from_other_seed, 1000);
  // The default mix, 40:40:10:10, within a few standard deviations.
  EXPECT_NEAR(kinds[0], 800, 100);
  EXPECT_NEAR(kinds[1], 800, 100);
  EXPECT_NEAR(kinds[2], 200, 60);
  EXPECT_NEAR(kinds[3], 200, 60);
}

// The kinds the default mix leaves out: a new empty account each (ids unique
// to the run, no money), an import of --import_transfers transfers among the
// run's accounts, an audit of one of them.
TEST(Workload, OpenImportAndAuditDrawTheirRequests) {
  WorkloadOptions options = Options(3, "run-");
  options.open_prefix = "new-";
  options.import_transfers = 4;
  options.mix = *ParseMix("open:1,import:1,audit:1");
  Workload workload(options);
  const std::set<std::string> accounts(options.account_ids.begin(), options.account_ids.end());
  std::set<std::string> opened;
  std::array<int, kOperationKinds> kinds{};
  for (int i = 0; i < 300; ++i) {
    const Operation operation = workload.Next();
    ++kinds[operation.index()];
    if (auto* open = std::get_if<OpenAccount>(&operation)) {
      EXPECT_EQ(open->request.id().rfind("new-", 0), 0u);
      EXPECT_EQ(open->request.initial_balance(), 0);
      EXPECT_TRUE(opened.insert(open->request.id()).second) << open->request.id();
    }
    if (auto* import = std::get_if<ImportTransfers>(&operation)) {
      ASSERT_EQ(import->requests.size(), 4u);
      for (const v1::TransferRequest& transfer : import->requests) {
        EXPECT_TRUE(accounts.count(transfer.from_id()) && accounts.count(transfer.to_id()));
        EXPECT_NE(transfer.from_id(), transfer.to_id());
        EXPECT_EQ(transfer.request_id().rfind("run-", 0), 0u);
      }
    }
    if (auto* audit = std::get_if<Audit>(&operation)) {
      EXPECT_TRUE(accounts.count(audit->request.account_id())) << audit->request.account_id();
    }
  }
  EXPECT_EQ(kinds[0] + kinds[1] + kinds[2] + kinds[3], 0);
  for (size_t kind = 4; kind < kOperationKinds; ++kind) EXPECT_NEAR(kinds[kind], 100, 40) << kind;
}

TEST(FindSample, MatchesNameAndExactLabels) {
  const std::string text =
      "# HELP ledger_mode_threads threads\n"
      "# TYPE ledger_mode_threads gauge\n"
      "ledger_mode_threads{mode=\"coroutine\"} 4\n"
      "ledger_mode_threads{mode=\"thread\"} 37\n"
      "ledger_mode_threads_other{mode=\"thread\"} 99\n"
      "process_resident_memory_bytes 4.5e+07\n"
      "process_resident_memory_bytes_total 1\n"
      "x{a=\"1\",b=\"2\"} 3 1700000000000\n";
  EXPECT_EQ(FindSample(text, "ledger_mode_threads", {{"mode", "thread"}}), 37);
  EXPECT_EQ(FindSample(text, "ledger_mode_threads", {{"mode", "coroutine"}}), 4);
  EXPECT_EQ(FindSample(text, "ledger_mode_threads", {{"mode", "other"}}), std::nullopt);
  EXPECT_EQ(FindSample(text, "ledger_mode_threads"), std::nullopt);
  EXPECT_EQ(FindSample(text, "process_resident_memory_bytes"), 4.5e7);
  EXPECT_EQ(FindSample(text, "x", {{"a", "1"}, {"b", "2"}}), 3);
  EXPECT_EQ(FindSample(text, "x", {{"a", "1"}}), std::nullopt);
}

TEST(MetricsAddress, AHostAloneGetsTheDefaultPort) {
  EXPECT_EQ(ParseMetricsAddress("localhost")->ToString(), "localhost:9464");
  EXPECT_EQ(ParseMetricsAddress("10.0.0.1:9000")->ToString(), "10.0.0.1:9000");
  const std::optional<MetricsAddress> v6 = ParseMetricsAddress("[::1]:9000");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
  EXPECT_EQ(ParseMetricsAddress("[::1]")->ToString(), "[::1]:9464");
  for (const char* bad : {"host:99999", "host:0", "host:x", ":9464", "[]:1"}) {
    EXPECT_FALSE(ParseMetricsAddress(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace ledger::load
