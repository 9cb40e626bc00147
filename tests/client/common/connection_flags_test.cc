// The connection flags both clients share: what they read, and every mistake
// a usage error that names the flag (and the file), never the token.
#include "client/common/connection_flags.h"

#include <grpc/grpc.h>
#include <grpcpp/support/channel_arguments.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/flags/reflection.h"
#include "absl/strings/match.h"

namespace ledger {
namespace {

constexpr char kCertificate[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
constexpr char kKey[] = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
constexpr char kSecret[] = "s3cr3t-t0ken";

// Parses `arguments` as a client would and returns what `read` makes of the
// flags then (or the parse error); the flags are back at their defaults after.
template <typename T, typename Read>
absl::StatusOr<T> WithFlags(std::initializer_list<std::string> arguments, Read read) {
  absl::FlagSaver restore_flags;
  std::vector<const char*> argv = {"ledger"};
  for (const std::string& argument : arguments) argv.push_back(argument.c_str());
  absl::StatusOr<CommandLine> command_line =
      ParseCommandLine(static_cast<int>(argv.size()), argv.data(), {kConnectionFlagsFile});
  if (!command_line.ok()) return command_line.status();
  return read(*command_line);
}

class ConnectionFlagsTest : public testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("connection_flags_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
    ca_ = Write("ca.pem", kCertificate);
    cert_ = Write("client.pem", kCertificate);
    key_ = Write("client.key", kKey);
    unsetenv(kTokenEnvironmentVariable);
  }
  void TearDown() override {
    std::filesystem::remove_all(directory_);
    unsetenv(kTokenEnvironmentVariable);
  }

  std::string Write(const std::string& name, const std::string& contents) {
    const std::string path = directory_ / name;
    std::ofstream(path) << contents;
    return path;
  }

  // Parses `arguments` as a client would, then reads the connection flags;
  // from the defaults each time.
  absl::StatusOr<ChannelSecurity> Read(std::initializer_list<std::string> arguments) {
    return WithFlags<ChannelSecurity>(arguments, ChannelSecurityFromFlags);
  }

  std::string ErrorOf(std::initializer_list<std::string> arguments) {
    absl::StatusOr<ChannelSecurity> read = Read(arguments);
    EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(absl::StrContains(read.status().message(), kSecret));
    return std::string(read.status().message());
  }

  std::filesystem::path directory_;
  std::string ca_, cert_, key_;
};

TEST_F(ConnectionFlagsTest, NoneGivenIsPlaintextWithoutToken) {
  absl::StatusOr<ChannelSecurity> security = Read({});
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_FALSE(security->tls());
  EXPECT_FALSE(security->mutual_tls());
  EXPECT_FALSE(security->has_token());
  EXPECT_EQ(security->Describe(), "plaintext");
}

TEST_F(ConnectionFlagsTest, ReadsTheFilesContentsOnce) {
  absl::StatusOr<ChannelSecurity> security =
      Read({"--tls_ca_file=" + ca_, "--tls_cert_file", cert_, "--tls_key_file=" + key_,
            "--tls_server_name=ledger.internal"});
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_EQ(security->ca_pem, kCertificate);
  EXPECT_EQ(security->cert_pem, kCertificate);
  EXPECT_EQ(security->key_pem, kKey);
  EXPECT_EQ(security->server_name, "ledger.internal");
  EXPECT_EQ(security->Describe(), "TLS, client certificate");
}

TEST_F(ConnectionFlagsTest, TokenFromTheFlagElseTheEnvironment) {
  setenv(kTokenEnvironmentVariable, "from-environment", 1);
  absl::StatusOr<ChannelSecurity> security = Read({"--tls_ca_file=" + ca_});
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_EQ(security->token, "from-environment");
  EXPECT_EQ(security->Describe(), "TLS, bearer token");  // never the token itself
  security = Read({std::string("--token=") + kSecret});
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_EQ(security->token, kSecret);
  EXPECT_EQ(security->Describe(), "plaintext, bearer token");
  // An empty --token sends none, whatever the environment holds.
  security = Read({"--token="});
  ASSERT_TRUE(security.ok()) << security.status();
  EXPECT_FALSE(security->has_token());
}

TEST_F(ConnectionFlagsTest, CombinationsThatCannotWorkSayWhy) {
  EXPECT_EQ(ErrorOf({"--tls_ca_file=" + ca_, "--tls_cert_file=" + cert_}),
            "--tls_cert_file needs --tls_key_file: a client certificate is no use without its "
            "private key");
  EXPECT_EQ(ErrorOf({"--tls_ca_file=" + ca_, "--tls_key_file=" + key_}),
            "--tls_key_file needs --tls_cert_file, the client certificate the key belongs to");
  EXPECT_EQ(ErrorOf({"--tls_cert_file=" + cert_, "--tls_key_file=" + key_}),
            "--tls_cert_file needs --tls_ca_file: a client certificate is presented over TLS, "
            "and TLS needs the CA that signed the server's certificate");
  EXPECT_EQ(ErrorOf({"--tls_server_name=ledger.internal"}),
            "--tls_server_name applies only over TLS, which --tls_ca_file turns on");
}

TEST_F(ConnectionFlagsTest, AFileThatCannotBeReadOrHoldsNoPemIsNamed) {
  const std::string missing = (directory_ / "missing.pem").string();
  EXPECT_EQ(ErrorOf({"--tls_ca_file=" + missing}),
            "--tls_ca_file: cannot read " + missing + ": No such file or directory");
  EXPECT_EQ(ErrorOf({"--tls_ca_file=" + directory_.string()}),
            "--tls_ca_file: cannot read " + directory_.string() + ": Is a directory");
  // The key given as the certificate, and the certificate as the key.
  EXPECT_EQ(ErrorOf({"--tls_ca_file=" + ca_, "--tls_cert_file=" + key_, "--tls_key_file=" + key_}),
            "--tls_cert_file: " + key_ + " holds no PEM certificate");
  EXPECT_EQ(
      ErrorOf({"--tls_ca_file=" + ca_, "--tls_cert_file=" + cert_, "--tls_key_file=" + cert_}),
      "--tls_key_file: " + cert_ + " holds no PEM private key");
  const std::string empty = Write("empty.pem", "");
  EXPECT_EQ(ErrorOf({"--tls_ca_file=" + empty}),
            "--tls_ca_file: " + empty + " holds no PEM certificate");
}

TEST_F(ConnectionFlagsTest, ATokenAHeaderCannotCarryIsRefusedWithoutShowingIt) {
  EXPECT_EQ(ErrorOf({std::string("--token=") + kSecret + "\n"}),
            "--token holds a character a bearer token cannot: only visible ASCII, no blanks or "
            "line breaks");
  setenv(kTokenEnvironmentVariable, (std::string(kSecret) + " x").c_str(), 1);
  EXPECT_EQ(ErrorOf({}),
            "LEDGER_TOKEN holds a character a bearer token cannot: only visible ASCII, no blanks "
            "or line breaks");
}

// The service config --load_balancing sets on the channel arguments, as gRPC
// will read it; the error if the flag's value is not a policy.
absl::StatusOr<std::string> ServiceConfigOf(std::initializer_list<std::string> arguments) {
  return WithFlags<std::string>(arguments, [](const CommandLine&) -> absl::StatusOr<std::string> {
    grpc::ChannelArguments channel_arguments;
    if (absl::Status applied = ApplyLoadBalancingFlag(channel_arguments); !applied.ok()) {
      return applied;
    }
    const grpc_channel_args c_arguments = channel_arguments.c_channel_args();
    for (size_t i = 0; i < c_arguments.num_args; ++i) {
      const grpc_arg& argument = c_arguments.args[i];
      if (std::string(argument.key) == GRPC_ARG_SERVICE_CONFIG &&
          argument.type == GRPC_ARG_STRING) {
        return std::string(argument.value.string);
      }
    }
    return absl::NotFoundError("no service config set");
  });
}

TEST(LoadBalancingFlagTest, EachPolicyIsTheChannelsDefaultServiceConfig) {
  EXPECT_EQ(ServiceConfigOf({}).value_or("?"), R"({"loadBalancingConfig":[{"pick_first":{}}]})");
  EXPECT_EQ(ServiceConfigOf({"--load_balancing=pick_first"}).value_or("?"),
            R"({"loadBalancingConfig":[{"pick_first":{}}]})");
  EXPECT_EQ(ServiceConfigOf({"--load_balancing=round_robin"}).value_or("?"),
            R"({"loadBalancingConfig":[{"round_robin":{}}]})");
}

TEST(LoadBalancingFlagTest, AnotherValueIsAUsageErrorListingThePolicies) {
  for (const std::string policy : {"", "roundrobin", "grpclb", "ROUND_ROBIN"}) {
    absl::StatusOr<std::string> config = ServiceConfigOf({"--load_balancing=" + policy});
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << policy;
    EXPECT_EQ(config.status().message(),
              "--load_balancing=" + policy +
                  " is not a policy this client knows: use pick_first or round_robin");
  }
}

}  // namespace
}  // namespace ledger
