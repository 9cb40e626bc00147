#include "service/main/server_security.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/main/defaults.h"
#include "service/security/server_credentials.h"

ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain: with --tls_key_file, both gRPC ports require TLS. Empty: "
          "plaintext, which the start-up log warns of.");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file, unencrypted.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA certificate(s): mutual TLS. Every client must present a certificate signed by "
          "them, and its first SAN URI (else DNS name) is the caller's principal. Turns "
          "authentication on. Needs --tls_cert_file.");
ABSL_FLAG(absl::Duration, tls_reload_interval, ledger::kDefaultTlsReloadInterval,
          "How often the three --tls_* files are read again, so certificates rotated on disk "
          "(as cert-manager rotates a Secret) are served without a restart.");
ABSL_FLAG(std::string, auth_tokens_file, "",
          "Bearer tokens, which turn authentication on. One credential per line, '#' starts a "
          "comment: `sha256:<hex SHA-256 of the token> <principal> [admin]` is a token (the "
          "file holds no token itself), `x509 <principal> admin` gives the admin role to a "
          "client-certificate principal. Clients send `authorization: Bearer <token>`. With "
          "authentication on, an account belongs to the principal that opened it: only it may "
          "read or debit it, and only the admin role may do everything and open an account "
          "with initial_balance > 0. Health and reflection stay open to all.");
ABSL_FLAG(absl::Duration, auth_reload_interval, ledger::kDefaultAuthReloadInterval,
          "How often --auth_tokens_file is read again; a change applies to the next calls, and "
          "a file that no longer parses leaves the previous tokens in place.");

namespace ledger {

void CheckSecurityFlags(const std::function<void(const std::string&)>& complain) {
  const bool cert = !absl::GetFlag(FLAGS_tls_cert_file).empty();
  const bool key = !absl::GetFlag(FLAGS_tls_key_file).empty();
  if (cert != key) complain("--tls_cert_file and --tls_key_file go together: give both or neither");
  if (!cert && !absl::GetFlag(FLAGS_tls_client_ca_file).empty()) {
    complain("--tls_client_ca_file needs --tls_cert_file and --tls_key_file (mutual TLS is TLS)");
  }
  if (absl::GetFlag(FLAGS_tls_reload_interval) < absl::Seconds(1)) {
    complain("--tls_reload_interval must be at least 1s");
  }
  if (absl::GetFlag(FLAGS_auth_reload_interval) < absl::Milliseconds(100)) {
    complain("--auth_reload_interval must be at least 100ms");
  }
}

absl::StatusOr<ServerSecurity> SetUpSecurity(std::function<void(const std::string&)> log) {
  const security::TlsFiles files{
      .cert_file = absl::GetFlag(FLAGS_tls_cert_file),
      .key_file = absl::GetFlag(FLAGS_tls_key_file),
      .client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file),
      .reload_interval = absl::GetFlag(FLAGS_tls_reload_interval),
  };
  const std::string tokens_file = absl::GetFlag(FLAGS_auth_tokens_file);
  ServerSecurity security;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      security::MakeServerCredentials(files);
  if (!credentials.ok()) return credentials.status();
  security.credentials = *std::move(credentials);

  if (!files.tls()) {
    security.description.push_back(
        {logging::Level::kWarning,
         "WARNING: TLS is off: calls, and any bearer token in them, cross the network in clear "
         "text (--tls_cert_file, --tls_key_file turn it on)"});
  } else {
    security.description.push_back(
        {logging::Level::kInfo,
         absl::StrCat("TLS on the gRPC ports with ", files.cert_file, ", read again every ",
                      absl::FormatDuration(files.reload_interval),
                      files.mutual() ? absl::StrCat("; client certificates signed by ",
                                                    files.client_ca_file, " required")
                                     : "")});
  }

  if (tokens_file.empty() && !files.mutual()) {
    security.authenticator = std::make_unique<security::Authenticator>();
    security.description.push_back(
        {logging::Level::kWarning,
         "WARNING: authentication is off: anyone who can reach the gRPC ports can create money "
         "and move it out of any account (--auth_tokens_file or --tls_client_ca_file turn it "
         "on)"});
    return security;
  }
  security.authenticator =
      std::make_unique<security::Authenticator>(security::CredentialTable{}, files.mutual());
  std::string credentials_used = files.mutual() ? "client certificates" : "";
  if (!tokens_file.empty()) {
    const absl::Duration interval = absl::GetFlag(FLAGS_auth_reload_interval);
    absl::StatusOr<std::unique_ptr<security::TokensFileWatch>> watch =
        security::TokensFileWatch::Start(tokens_file, interval, *security.authenticator,
                                         std::move(log));
    if (!watch.ok()) return watch.status();
    security.tokens_watch = *std::move(watch);
    absl::StrAppend(&credentials_used, credentials_used.empty() ? "" : " and ",
                    "bearer tokens from ", tokens_file, " (read again every ",
                    absl::FormatDuration(interval), ")");
  }
  security.description.push_back(
      {logging::Level::kInfo,
       absl::StrCat("authentication on: ", credentials_used,
                    "; an account may be read and debited only by its owner or the admin role")});
  if (!tokens_file.empty() && !files.tls()) {
    security.description.push_back(
        {logging::Level::kWarning,
         "WARNING: bearer tokens over plaintext can be read and replayed by anyone on the "
         "network path: turn on TLS"});
  }
  return security;
}

}  // namespace ledger
