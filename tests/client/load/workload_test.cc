// The pure parts of ledger-load: the --mix grammar, the workload's
// determinism under --seed, reading Prometheus samples, and JSON output.
#include "client/load/workload.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "client/load/json_writer.h"
#include "client/load/metrics_probe.h"

namespace ledger::load {
namespace {

TEST(Mix, ParsesWeightsAndLeavesOutMeansZero) {
  absl::StatusOr<Mix> mix = ParseMix("transfer:3, get:1");
  ASSERT_TRUE(mix.ok()) << mix.status();
  EXPECT_EQ(mix->weights, (std::array<int, kOperationKinds>{1, 3, 0, 0}));
  EXPECT_EQ(FormatMix(*mix), "get:1,transfer:3,list:0,stream:0");
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

// Kind, accounts and amounts of an operation, without request ids.
std::string Shape(const Operation& operation) {
  std::string shape = std::string(OperationName(operation.kind)) + ":" + operation.get.id() +
                      operation.list.account_id() + "/" + std::to_string(operation.list.limit());
  auto add = [&shape](const v1::TransferRequest& transfer) {
    shape +=
        "/" + transfer.from_id() + ">" + transfer.to_id() + "=" + std::to_string(transfer.amount());
  };
  if (operation.kind == OperationKind::kTransfer) add(operation.transfer);
  for (const auto& transfer : operation.stream) add(transfer);
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
    ++kinds[static_cast<int>(a.kind)];
    std::vector<v1::TransferRequest> transfers = a.stream;
    if (a.kind == OperationKind::kTransfer) transfers.push_back(a.transfer);
    for (const auto& transfer : transfers) {
      EXPECT_NE(transfer.from_id(), transfer.to_id());
      EXPECT_GE(transfer.amount(), 1);
      EXPECT_LE(transfer.amount(), 50);
      EXPECT_TRUE(request_ids.insert(transfer.request_id()).second) << transfer.request_id();
      EXPECT_EQ(transfer.request_id().rfind("run1-", 0), 0u);
    }
    if (a.kind == OperationKind::kTransferStream) {
      EXPECT_EQ(a.stream.size(), 3u);
    }
    if (a.kind == OperationKind::kListTransfers) {
      EXPECT_EQ(a.list.limit(), 20u);
    }
  }
  EXPECT_GT(differences_from_other_seed, 1000);
  // The default mix, 40:40:10:10, within a few standard deviations.
  EXPECT_NEAR(kinds[0], 800, 100);
  EXPECT_NEAR(kinds[1], 800, 100);
  EXPECT_NEAR(kinds[2], 200, 60);
  EXPECT_NEAR(kinds[3], 200, 60);
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

TEST(JsonWriter, PlacesCommasAndEscapes) {
  JsonWriter json;
  json.BeginObject().Key("a").Int(1).Key("b\"").BeginArray().String("x\ny").Double(0.5).Bool(true);
  json.Null().BeginArray().EndArray().EndArray().Key("nan").Double(std::nan("")).EndObject();
  EXPECT_EQ(json.Take(), "{\"a\":1,\"b\\\"\":[\"x\\ny\",0.5,true,null,[]],\"nan\":null}\n");
}

}  // namespace
}  // namespace ledger::load
