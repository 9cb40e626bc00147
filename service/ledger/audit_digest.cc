#include "service/ledger/audit_digest.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "service/ledger/sha256.h"

namespace ledger {

std::string AuditDigest(absl::string_view account_id,
                        const std::vector<v1::TransferReceipt>& entries) {
  Sha256Hash hash = Sha256(account_id);
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
