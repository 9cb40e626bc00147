#include "service/security/tokens_file.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ledger::security {
namespace {

constexpr absl::string_view kHashPrefix = "sha256:";

bool IsHex(absl::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); });
}

// Roles "admin" or "admin,admin": whether admin is among them, or an error
// naming the unknown role.
absl::StatusOr<bool> ParseRoles(absl::string_view roles) {
  bool admin = false;
  for (absl::string_view role : absl::StrSplit(roles, ',')) {
    if (role != kAdminRole) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown role \"", role, "\" (the only role is ", kAdminRole, ")"));
    }
    admin = true;
  }
  return admin;
}

}  // namespace

absl::StatusOr<CredentialTable> ParseTokensFile(absl::string_view text) {
  CredentialTable table;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    auto fail = [line_number](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", what));
    };
    line = line.substr(0, line.find('#'));
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    if (fields.size() < 2 || fields.size() > 3) {
      return fail("expected `sha256:<hex> <principal> [roles]` or `x509 <principal> <roles>`");
    }
    bool admin = false;
    if (fields.size() == 3) {
      absl::StatusOr<bool> roles = ParseRoles(fields[2]);
      if (!roles.ok()) return fail(roles.status().message());
      admin = *roles;
    }
    const std::string principal(fields[1]);
    if (fields[0] == "x509") {
      if (fields.size() < 3) return fail("an x509 line gives roles to a principal: name them");
      table.certificate_admins.insert(principal);
      continue;
    }
    absl::string_view hex = fields[0];
    if (!absl::ConsumePrefix(&hex, kHashPrefix)) {
      return fail("a credential is `sha256:<hex>` or `x509`");
    }
    if (hex.size() != 2 * sizeof(Sha256Hash) || !IsHex(hex)) {
      return fail("the SHA-256 of a token is 64 hex digits");
    }
    TokenEntry entry{.hash = {}, .principal = principal, .admin = admin};
    const std::string bytes = absl::HexStringToBytes(hex);
    std::memcpy(entry.hash.data(), bytes.data(), entry.hash.size());
    for (const TokenEntry& earlier : table.tokens) {
      if (earlier.hash == entry.hash) return fail("the same token is listed twice");
    }
    table.tokens.push_back(std::move(entry));
  }
  return table;
}

}  // namespace ledger::security
