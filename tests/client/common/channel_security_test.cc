// OpenChannel in plaintext against an in-process server that records what
// each call carried: the token arrives as "authorization: Bearer <token>" on
// every call, and no such header without one. (TLS needs certificates, made
// at test time by the end-to-end tests: tests/client/cli/ledger_cli_security_test.py.)
#include "client/common/channel_security.h"

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace ledger {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// Answers Check and keeps the authorization header of the last call.
class RecordingHealth final : public Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext* context, const HealthCheckRequest*,
                     HealthCheckResponse* response) override {
    const auto& metadata = context->client_metadata();
    const auto found = metadata.find("authorization");
    std::lock_guard lock(mutex_);
    authorization_ =
        found == metadata.end()
            ? std::nullopt
            : std::optional<std::string>(std::string(found->second.data(), found->second.size()));
    response->set_status(HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }

  std::optional<std::string> authorization() {
    std::lock_guard lock(mutex_);
    return authorization_;
  }

 private:
  std::mutex mutex_;
  std::optional<std::string> authorization_;
};

class ChannelSecurityTest : public testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&health_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  // One Check call through a channel of `security`; its status code.
  grpc::StatusCode Check(const ChannelSecurity& security) {
    std::unique_ptr<Health::Stub> stub =
        Health::NewStub(OpenChannel(absl::StrCat("127.0.0.1:", port_), security));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    HealthCheckResponse response;
    return stub->Check(&context, HealthCheckRequest(), &response).error_code();
  }

  RecordingHealth health_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(ChannelSecurityTest, PlaintextCarriesTheTokenOnEveryCall) {
  ChannelSecurity security;
  security.token = "t0ken";
  for (int call = 0; call < 3; ++call) {
    ASSERT_EQ(Check(security), grpc::StatusCode::OK);
    EXPECT_EQ(health_.authorization(), "Bearer t0ken");
  }
}

TEST_F(ChannelSecurityTest, NoTokenNoHeader) {
  ASSERT_EQ(Check(ChannelSecurity()), grpc::StatusCode::OK);
  EXPECT_EQ(health_.authorization(), std::nullopt);
}

TEST(ChannelSecurityDescribe, SaysWhatIsUsedNeverTheToken) {
  ChannelSecurity security;
  EXPECT_EQ(security.Describe(), "plaintext");
  security.ca_pem = "ca";
  security.cert_pem = "cert";
  security.key_pem = "key";
  security.token = "t0ken";
  EXPECT_EQ(security.Describe(), "TLS, client certificate, bearer token");
}

}  // namespace
}  // namespace ledger
