// The fixture of the contract suites: one real ledger-server process per
// serving mode, shared by the suite's tests (each uses fresh account ids).
// Every mode must pass the same suites.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tests/service/ledger_client.h"
#include "tests/support/server_process.h"

namespace ledger::testing {

// A serving mode on a store. The PostgreSQL ones use the cluster of the CTest
// fixture `postgres` (LEDGER_TEST_POSTGRES_DSN), which both modes' servers
// share, as pods do in Kubernetes.
struct Mode {
  std::string serving;  // coroutine or thread
  bool on_postgres = false;

  // The test-name suffix: "coroutine", "thread_on_postgres".
  std::string name() const { return on_postgres ? serving + "_on_postgres" : serving; }
  std::vector<std::string> ServerFlags() const {
    std::vector<std::string> flags = {"--mode=" + serving};
    if (on_postgres) {
      const char* dsn = std::getenv("LEDGER_TEST_POSTGRES_DSN");
      EXPECT_NE(dsn, nullptr) << "LEDGER_TEST_POSTGRES_DSN is not set: run this test through "
                                 "ctest, whose fixture `postgres` starts the cluster";
      flags.push_back("--store=postgres");
      flags.push_back(std::string("--postgres_dsn=") + (dsn ? dsn : ""));
    }
    return flags;
  }
  friend void PrintTo(const Mode& mode, std::ostream* out) { *out << mode.name(); }
};

class ContractTest : public ::testing::TestWithParam<Mode> {
 protected:
  static void TearDownTestSuite() { servers().clear(); }

  void SetUp() override {
    auto& server = servers()[GetParam().name()];
    if (!server) server = std::make_unique<ServerProcess>(GetParam().ServerFlags());
    ASSERT_NE(server->port(), 0);
    address_ = server->address(GetParam().serving);
    client_ = std::make_unique<LedgerClient>(address_);
  }

  // One server per mode for the whole suite; each test uses fresh ids.
  static std::map<std::string, std::unique_ptr<ServerProcess>>& servers() {
    static auto* servers = new std::map<std::string, std::unique_ptr<ServerProcess>>;
    return *servers;
  }

  v1::Account MustGet(const std::string& id) {
    v1::Account account;
    const grpc::Status status = client_->Get(id, &account);
    EXPECT_TRUE(status.ok()) << id << ": " << status.error_message();
    return account;
  }

  std::string OpenWith(const std::string& stem, int64_t balance) {
    const std::string id = UniqueId(stem);
    const grpc::Status status = client_->Open(id, balance);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return id;
  }

  std::string address_;
  std::unique_ptr<LedgerClient> client_;
};

// Each mode in a server of its own, on the embedded store and on PostgreSQL,
// so one mode's suite cannot lean on the other's state.
inline std::vector<Mode> AllModes() {
  return {Mode{"coroutine"}, Mode{"thread"}, Mode{"coroutine", true}, Mode{"thread", true}};
}

// For INSTANTIATE_TEST_SUITE_P: names each instantiation after its mode.
inline std::string ModeTestName(const ::testing::TestParamInfo<Mode>& info) {
  return info.param.name();
}

}  // namespace ledger::testing
