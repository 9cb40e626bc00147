#include "client/common/connection_flags.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

// Each flag with what it does: both clients' --help print these.
ABSL_FLAG(std::string, tls_ca_file, "",
          "Turns TLS on: the CA certificate (PEM file) that must have signed the server's "
          "certificate. Empty: plaintext.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "Mutual TLS: this client's certificate (PEM file), for a server that asks for one "
          "(ledger-server --tls_client_ca_file). Its first SAN URI, else its first DNS name, "
          "is the caller's principal. Needs --tls_key_file and --tls_ca_file.");
ABSL_FLAG(std::string, tls_key_file, "",
          "Mutual TLS: the private key (PEM file) of --tls_cert_file.");
ABSL_FLAG(std::string, tls_server_name, "",
          "With --tls_ca_file: the name the server's certificate must carry, when it is not "
          "the host the target names (an IP address, a tunnel, a proxy). Empty: the target's "
          "host.");
ABSL_FLAG(std::string, token, "",
          "Bearer token sent with every call (authorization: Bearer ...), whose principal and "
          "roles the server's --auth_tokens_file holds. Empty: the environment variable "
          "LEDGER_TOKEN, the safer way, since other users of the machine can read command "
          "lines (ps). Never printed. Without --tls_ca_file it crosses the network in clear "
          "text: only for a server on this machine.");

// gRPC's own policy names, so that the flag reads as gRPC's documentation does.
ABSL_FLAG(std::string, load_balancing, "pick_first",
          "How calls spread over the servers the target resolves to. pick_first: one "
          "connection, to the first address that answers, for every call. round_robin: a "
          "connection to each address, calls in turn over them, for a target that names "
          "several servers, e.g. a Kubernetes headless Service "
          "(dns:///ledger-coroutine-headless.NAMESPACE.svc.cluster.local:PORT: every ready "
          "pod, resolved at start and again whenever a connection drops) or "
          "ipv4:10.0.0.1:PORT,10.0.0.2:PORT. Through a ClusterIP "
          "Service or a proxy there is one address, so the two are the same.");

namespace ledger {
namespace {

// --load_balancing's values, each a gRPC policy that needs no configuration.
constexpr const char* kLoadBalancingPolicies[] = {"pick_first", "round_robin"};

// What a flag's file must hold: one PEM block of this kind at least.
struct PemFile {
  const char* flag;
  const char* holds;   // for the message: "PEM certificate"
  const char* marker;  // a PEM header carries it
};
constexpr PemFile kCaFile = {"tls_ca_file", "PEM certificate", "-----BEGIN CERTIFICATE-----"};
constexpr PemFile kCertFile = {"tls_cert_file", "PEM certificate", "-----BEGIN CERTIFICATE-----"};
// "PRIVATE KEY-----" ends every PEM key header: PKCS#8, RSA, EC, encrypted.
constexpr PemFile kKeyFile = {"tls_key_file", "PEM private key", "PRIVATE KEY-----"};

// Reads the file of a flag into `contents` (nothing if no file is named).
// The flag and the reason if it cannot be read or does not hold what the flag
// needs (a certificate and key swapped, say): found here rather than as an
// opaque handshake failure later.
absl::Status ReadPemFile(const PemFile& kind, const std::string& path, std::string& contents) {
  if (path.empty()) return absl::OkStatus();
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", kind.flag, ": cannot read ", path, ": ", std::strerror(errno)));
  }
  std::array<char, 16 * 1024> buffer;
  size_t got;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
    contents.append(buffer.data(), got);
  }
  const bool failed = std::ferror(file);
  const int error = errno;
  std::fclose(file);
  if (failed) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", kind.flag, ": cannot read ", path, ": ", std::strerror(error)));
  }
  if (!absl::StrContains(contents, kind.marker)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", kind.flag, ": ", path, " holds no ", kind.holds));
  }
  return absl::OkStatus();
}

// Checks the combinations, before any file is read.
absl::Status CheckCombination(const std::string& ca, const std::string& cert,
                              const std::string& key, const std::string& server_name) {
  if (!cert.empty() && key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file needs --tls_key_file: a client certificate is no use without its "
        "private key");
  }
  if (!key.empty() && cert.empty()) {
    return absl::InvalidArgumentError(
        "--tls_key_file needs --tls_cert_file, the client certificate the key belongs to");
  }
  if (!cert.empty() && ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file needs --tls_ca_file: a client certificate is presented over TLS, and "
        "TLS needs the CA that signed the server's certificate");
  }
  if (!server_name.empty() && ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls_server_name applies only over TLS, which --tls_ca_file turns on");
  }
  return absl::OkStatus();
}

// The token from --token if given (even empty: `--token=` sends none
// whatever the environment holds), else from the environment.
std::string TokenFromFlagOrEnvironment(const CommandLine& command_line) {
  if (command_line.Given("token")) return absl::GetFlag(FLAGS_token);
  const char* from_environment = std::getenv(kTokenEnvironmentVariable);
  return from_environment == nullptr ? "" : from_environment;
}

// A header value carries visible ASCII; anything else would fail every call
// with a message that helps nobody (and a stray newline from a file is a
// common slip). The message names where the token came from, never the token.
absl::Status CheckToken(const std::string& token, const CommandLine& command_line) {
  for (const char c : token) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrCat(
          command_line.Given("token") ? "--token" : kTokenEnvironmentVariable,
          " holds a character a bearer token cannot: only visible ASCII, no blanks or line "
          "breaks"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> LoadBalancingServiceConfig(absl::string_view policy) {
  for (const char* known : kLoadBalancingPolicies) {
    if (policy == known) return absl::StrCat(R"({"loadBalancingConfig":[{")", policy, R"(":{}}]})");
  }
  return absl::InvalidArgumentError(absl::StrCat("--load_balancing=", policy,
                                                 " is not a policy this client knows: use ",
                                                 absl::StrJoin(kLoadBalancingPolicies, " or ")));
}

absl::Status ApplyLoadBalancingFlag(grpc::ChannelArguments& arguments) {
  absl::StatusOr<std::string> config =
      LoadBalancingServiceConfig(absl::GetFlag(FLAGS_load_balancing));
  if (!config.ok()) return config.status();
  // The default only: a service config from the name resolver would win, and
  // DNS has one only if someone publishes a _grpc_config TXT record, which
  // Kubernetes does not.
  arguments.SetServiceConfigJSON(*config);
  return absl::OkStatus();
}

absl::StatusOr<ChannelSecurity> ChannelSecurityFromFlags(const CommandLine& command_line) {
  const std::string ca = absl::GetFlag(FLAGS_tls_ca_file);
  const std::string cert = absl::GetFlag(FLAGS_tls_cert_file);
  const std::string key = absl::GetFlag(FLAGS_tls_key_file);
  ChannelSecurity security;
  security.server_name = absl::GetFlag(FLAGS_tls_server_name);
  if (absl::Status valid = CheckCombination(ca, cert, key, security.server_name); !valid.ok()) {
    return valid;
  }
  absl::Status read = ReadPemFile(kCaFile, ca, security.ca_pem);
  if (read.ok()) read = ReadPemFile(kCertFile, cert, security.cert_pem);
  if (read.ok()) read = ReadPemFile(kKeyFile, key, security.key_pem);
  if (!read.ok()) return read;
  security.token = TokenFromFlagOrEnvironment(command_line);
  if (absl::Status valid = CheckToken(security.token, command_line); !valid.ok()) return valid;
  return security;
}

}  // namespace ledger
