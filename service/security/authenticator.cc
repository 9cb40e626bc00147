#include "service/security/authenticator.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/crypto.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ledger::security {
namespace {

constexpr char kAuthorizationKey[] = "authorization";
constexpr absl::string_view kBearerScheme = "bearer ";

absl::string_view View(const grpc::string_ref& value) {
  return absl::string_view(value.data(), value.size());
}

// The peer's identity from its verified client certificate: the first SAN
// URI, else the first SAN DNS name; "" if it has neither.
std::string CertificatePrincipal(const grpc::ServerContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return "";
  for (const char* property : {GRPC_PEER_URI_PROPERTY_NAME, GRPC_PEER_DNS_PROPERTY_NAME}) {
    std::vector<grpc::string_ref> values = auth->FindPropertyValues(property);
    if (!values.empty()) return std::string(View(values.front()));
  }
  return "";
}

}  // namespace

Authenticator::Authenticator(CredentialTable table, bool client_certificates)
    : enabled_(true),
      client_certificates_(client_certificates),
      table_(std::make_shared<const CredentialTable>(std::move(table))) {}

void Authenticator::Replace(CredentialTable table) {
  auto replacement = std::make_shared<const CredentialTable>(std::move(table));
  std::lock_guard lock(mutex_);
  table_.swap(replacement);
}

std::shared_ptr<const CredentialTable> Authenticator::table() const {
  std::lock_guard lock(mutex_);
  return table_;
}

absl::StatusOr<Caller> Authenticator::ByToken(absl::string_view token) const {
  const Sha256Hash presented = Sha256(token);
  std::shared_ptr<const CredentialTable> credentials = table();
  // Every entry is compared, each in constant time, so how long the check
  // takes says nothing about which entry, or how much of one, matched.
  const TokenEntry* match = nullptr;
  for (const TokenEntry& entry : credentials->tokens) {
    const bool same = CRYPTO_memcmp(entry.hash.data(), presented.data(), presented.size()) == 0;
    if (same) match = &entry;
  }
  if (match == nullptr) return absl::UnauthenticatedError("unknown bearer token");
  return Caller{.principal = match->principal, .admin = match->admin};
}

absl::StatusOr<Caller> Authenticator::Authenticate(const grpc::ServerContext& context) const {
  if (!enabled_) return Caller::Anyone();
  const auto& metadata = context.client_metadata();
  if (auto found = metadata.find(kAuthorizationKey); found != metadata.end()) {
    absl::string_view value = View(found->second);
    if (value.size() <= kBearerScheme.size() || !absl::StartsWithIgnoreCase(value, kBearerScheme)) {
      return absl::UnauthenticatedError("the authorization metadata must be `Bearer <token>`");
    }
    return ByToken(value.substr(kBearerScheme.size()));
  }
  if (client_certificates_) {
    std::string principal = CertificatePrincipal(context);
    if (principal.empty()) {
      return absl::UnauthenticatedError(
          "the client certificate names no SAN URI or DNS name to identify the caller");
    }
    const bool admin = table()->certificate_admins.contains(principal);
    return Caller{.principal = std::move(principal), .admin = admin};
  }
  return absl::UnauthenticatedError(
      "this server requires a bearer token: metadata `authorization: Bearer <token>`");
}

}  // namespace ledger::security
