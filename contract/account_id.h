// The account-id rule: 1 to 64 characters of [A-Za-z0-9_.-]. The server
// refuses other ids with INVALID_ARGUMENT; clients that make up ids (the load
// generator) check theirs against the same rule before they call.
#pragma once

#include <cstddef>
#include <string_view>

namespace ledger {

inline constexpr std::size_t kMaxAccountIdLength = 64;

constexpr bool IsAccountIdCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

constexpr bool IsValidAccountId(std::string_view id) {
  if (id.empty() || id.size() > kMaxAccountIdLength) return false;
  for (char c : id) {
    if (!IsAccountIdCharacter(c)) return false;
  }
  return true;
}

}  // namespace ledger
