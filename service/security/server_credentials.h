// The credentials both gRPC ports listen with: plaintext, TLS, or mutual TLS.
// The files are re-read every `reload_interval` (gRPC's file-watcher
// certificate provider), so a certificate rotated on disk, as cert-manager
// rotates a Kubernetes Secret, is served without a restart.
#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ledger::security {

struct TlsFiles {
  std::string cert_file;       // PEM: the server's certificate chain; "" for plaintext
  std::string key_file;        // PEM: its private key
  std::string client_ca_file;  // PEM: CA(s) a client certificate must chain to; "": none asked
  absl::Duration reload_interval;

  bool tls() const { return !cert_file.empty(); }
  bool mutual() const { return !client_ca_file.empty(); }
};

// Plaintext credentials when `files` names no certificate. Otherwise TLS
// credentials, after checking now what gRPC would only report later in its
// own log: that each file reads and parses, and that the key is the
// certificate's. INVALID_ARGUMENT names the file and what is wrong.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

}  // namespace ledger::security
