#include "service/ledger/audit_digest.h"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ledger {
namespace {

using Hash = std::array<unsigned char, 32>;

Hash Sha256(absl::string_view bytes) {
  Hash hash;
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), hash.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != hash.size()) {
    throw std::runtime_error("SHA-256 failed");
  }
  return hash;
}

}  // namespace

std::string AuditDigest(absl::string_view account_id,
                        const std::vector<v1::TransferReceipt>& entries) {
  Hash hash = Sha256(account_id);
  std::string link;
  for (const v1::TransferReceipt& entry : entries) {
    link.assign(reinterpret_cast<const char*>(hash.data()), hash.size());
    absl::StrAppend(&link, entry.sequence(), ":", entry.from_id(), ":", entry.to_id(), ":",
                    entry.amount());
    hash = Sha256(link);
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

}  // namespace ledger
