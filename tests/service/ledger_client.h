// Test helpers around the generated stub: unique account ids, requests in one
// line, calls with a deadline.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "grpc/health/v1/health.grpc.pb.h"
#include "ledger/v1/ledger.grpc.pb.h"
#include "tests/support/transfer_request.h"

namespace ledger::testing {

inline std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

// Tests share one server, so every account id they use is new.
// Unique to this process and call: a database outlives the test processes
// that write to it (and is shared by both modes' servers).
inline std::string UniqueId(const std::string& stem) {
  static const std::string process_tag = [] {
    char tag[9];
    std::snprintf(tag, sizeof tag, "%08x", std::random_device()());
    return std::string(tag);
  }();
  static std::atomic<int> counter{0};
  return stem + "-" + process_tag + "-" + std::to_string(counter.fetch_add(1));
}

inline void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

// What grpc.health.v1 Check says over `channel` (UNKNOWN if the call fails).
inline grpc::health::v1::HealthCheckResponse::ServingStatus HealthOf(
    const std::shared_ptr<grpc::Channel>& channel) {
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (!health->Check(&context, request, &response).ok()) {
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

class LedgerClient {
 public:
  explicit LedgerClient(const std::string& address)
      : stub_(v1::Ledger::NewStub(Connect(address))) {}

  grpc::Status Open(const std::string& id, int64_t initial_balance,
                    v1::Account* account = nullptr) {
    v1::OpenAccountRequest request;
    request.set_id(id);
    request.set_initial_balance(initial_balance);
    v1::Account ignored;
    grpc::ClientContext context;
    SetDeadline(context);
    return stub_->OpenAccount(&context, request, account ? account : &ignored);
  }

  grpc::Status Get(const std::string& id, v1::Account* account) {
    v1::GetAccountRequest request;
    request.set_id(id);
    grpc::ClientContext context;
    SetDeadline(context);
    return stub_->GetAccount(&context, request, account);
  }

  grpc::Status Transfer(const std::string& request_id, const std::string& from,
                        const std::string& to, int64_t amount,
                        v1::TransferReceipt* receipt = nullptr) {
    const v1::TransferRequest request = Request(request_id, from, to, amount);
    v1::TransferReceipt ignored;
    grpc::ClientContext context;
    SetDeadline(context);
    return stub_->Transfer(&context, request, receipt ? receipt : &ignored);
  }

  v1::Ledger::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<v1::Ledger::Stub> stub_;
};

}  // namespace ledger::testing
