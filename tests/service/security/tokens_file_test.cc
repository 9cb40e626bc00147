// The tokens file's format, line by line: what it accepts and how it says
// what is wrong. The end-to-end use (reloads, tokens on the wire) is in
// tests/security.
#include "service/security/tokens_file.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ledger::security {
namespace {

std::string HashLine(absl::string_view token, absl::string_view rest) {
  const Sha256Hash hash = Sha256(token);
  return absl::StrCat("sha256:",
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(hash.data()), hash.size())),
                      " ", rest, "\n");
}

TEST(TokensFile, ReadsTokensRolesAndCertificateAdmins) {
  const std::string text = absl::StrCat(
      "# who may call\n\n", HashLine("t1", "alice"), HashLine("t2", "ops admin   # the operators"),
      "x509 spiffe://x/root admin\n", "\t x509\tspiffe://x/other admin,admin\r\n");
  absl::StatusOr<CredentialTable> table = ParseTokensFile(text);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->tokens.size(), 2u);
  EXPECT_EQ(table->tokens[0].hash, Sha256("t1"));
  EXPECT_EQ(table->tokens[0].principal, "alice");
  EXPECT_FALSE(table->tokens[0].admin);
  EXPECT_EQ(table->tokens[1].principal, "ops");
  EXPECT_TRUE(table->tokens[1].admin);
  EXPECT_EQ(table->certificate_admins.size(), 2u);
  EXPECT_TRUE(table->certificate_admins.contains("spiffe://x/root"));
  EXPECT_TRUE(table->certificate_admins.contains("spiffe://x/other"));
}

TEST(TokensFile, AnEmptyFileAllowsNobody) {
  absl::StatusOr<CredentialTable> table = ParseTokensFile("# nobody yet\n");
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE(table->tokens.empty());
  EXPECT_TRUE(table->certificate_admins.empty());
}

TEST(TokensFile, SaysWhichLineIsWrongAndWhy) {
  const std::string good = HashLine("t", "alice");
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"alice\n",
       "line 1: expected `sha256:<hex> <principal> [roles]` or `x509 <principal> <roles>`"},
      {"md5:abc alice\n", "line 1: a credential is `sha256:<hex>` or `x509`"},
      {"sha256:abcd alice\n", "line 1: the SHA-256 of a token is 64 hex digits"},
      {absl::StrCat("sha256:", std::string(64, 'g'), " alice\n"),
       "line 1: the SHA-256 of a token is 64 hex digits"},
      {absl::StrCat(good, HashLine("t", "bob")), "line 2: the same token is listed twice"},
      {HashLine("t", "alice root"), "line 1: unknown role \"root\" (the only role is admin)"},
      {"x509 spiffe://x/a\n", "line 1: an x509 line gives roles to a principal: name them"},
      {absl::StrCat("#\n", good, "x509 a b c d\n"),
       "line 3: expected `sha256:<hex> <principal> [roles]` or `x509 <principal> <roles>`"},
  };
  for (const auto& [text, message] : cases) {
    absl::StatusOr<CredentialTable> table = ParseTokensFile(text);
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(table.status().message(), message) << text;
  }
}

}  // namespace
}  // namespace ledger::security
