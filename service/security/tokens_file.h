// The tokens file (--auth_tokens_file): who may call the ledger, and with
// which roles. It holds no token, only each token's SHA-256, so a copy of
// the file (a Secret read by the wrong person, a backup) lets nobody call.
//
//   # one credential per line; '#' starts a comment; fields separated by blanks
//   sha256:<64 hex digits, the SHA-256 of the token>  <principal>  [<role>[,<role>...]]
//   x509  <principal>  <role>[,<role>...]
//
// A `sha256:` line is a bearer token: a call that presents it is made by
// <principal> with those roles. An `x509` line gives roles to a principal
// that proves itself with a client certificate (mutual TLS); a certificate
// principal without one has no role. The only role is `admin`.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/ledger/sha256.h"

namespace ledger::security {

inline constexpr char kAdminRole[] = "admin";

struct TokenEntry {
  Sha256Hash hash;
  std::string principal;
  bool admin = false;
};

struct CredentialTable {
  std::vector<TokenEntry> tokens;
  absl::flat_hash_set<std::string> certificate_admins;  // x509 principals with admin
};

// The table the file's text describes, or INVALID_ARGUMENT naming the line
// and what is wrong with it. The message never quotes a hash.
absl::StatusOr<CredentialTable> ParseTokensFile(absl::string_view text);

}  // namespace ledger::security
