// The Audit hash chain (part of the API contract): h0 = SHA-256(account id);
// for each committed transfer touching the account, in sequence order,
// h = SHA-256(h || "<sequence>:<from_id>:<to_id>:<amount>"), the numbers in
// ASCII decimal. The digest is the lowercase hex of the final h.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger {

// CPU-bound: call it off the I/O threads.
std::string AuditDigest(absl::string_view account_id,
                        const std::vector<v1::TransferReceipt>& entries);

}  // namespace ledger
