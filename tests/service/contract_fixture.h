// The fixture of the contract suites: one real ledger-server process per
// serving mode, shared by the suite's tests (each uses fresh account ids).
// Every mode must pass the same suites.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tests/service/ledger_client.h"
#include "tests/support/server_process.h"

namespace ledger::testing {

struct Mode {
  std::string name;
  std::vector<std::string> server_flags;
  friend void PrintTo(const Mode& mode, std::ostream* out) { *out << mode.name; }
};

class ContractTest : public ::testing::TestWithParam<Mode> {
 protected:
  static void TearDownTestSuite() { servers().clear(); }

  void SetUp() override {
    auto& server = servers()[GetParam().name];
    if (!server) server = std::make_unique<ServerProcess>(GetParam().server_flags);
    ASSERT_NE(server->port(), 0);
    address_ = server->address(GetParam().name);
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

// Each mode in a server of its own, so one mode's suite cannot lean on the
// other's state.
inline std::vector<Mode> AllModes() {
  return {Mode{"coroutine", {"--mode=coroutine"}}, Mode{"thread", {"--mode=thread"}}};
}

}  // namespace ledger::testing
