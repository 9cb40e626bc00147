// Authenticator: turns a call's credentials into the Caller the ledger's
// rules decide with. Both modes ask it, once per call, before the call takes
// a place in flight; health and reflection never ask, so they stay open.
//
// A bearer token (metadata `authorization: Bearer <token>`) names its
// principal through the tokens file. Without one, under mutual TLS, the
// client certificate does: its first SAN URI, else its first SAN DNS name.
// A presented token that is unknown is refused even when the certificate is
// good, so a mistake never silently runs as another principal.
#pragma once

#include <grpcpp/server_context.h>

#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "service/ledger/caller.h"
#include "service/security/tokens_file.h"

namespace ledger::security {

class Authenticator {
 public:
  // Authentication off: every call is Caller::Anyone().
  Authenticator() = default;
  // Authentication on, with the tokens of `table`, and client certificates'
  // identities when `client_certificates` (mutual TLS) is true.
  Authenticator(CredentialTable table, bool client_certificates);

  bool enabled() const { return enabled_; }

  // The caller, or UNAUTHENTICATED saying what is missing or wrong. The
  // message never contains the token.
  absl::StatusOr<Caller> Authenticate(const grpc::ServerContext& context) const;

  // From now on, tokens and certificate roles are those of `table`.
  void Replace(CredentialTable table);

 private:
  std::shared_ptr<const CredentialTable> table() const;
  absl::StatusOr<Caller> ByToken(absl::string_view token) const;

  bool enabled_ = false;
  bool client_certificates_ = false;
  // A std::mutex, not absl::Mutex: ThreadSanitizer sees the former's
  // pthread calls, while Debian's uninstrumented Abseil hides the latter's.
  mutable std::mutex mutex_;
  std::shared_ptr<const CredentialTable> table_;  // guarded by mutex_
};

}  // namespace ledger::security
