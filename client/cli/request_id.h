// Request ids for transfers the user did not name: random UUIDs (version 4).
#pragma once

#include <string>

namespace ledger::cli {

// A new random UUID v4, lowercase ("6f1c2a9e-...-4...-..."). Its 122 random bits
// come from the kernel's CSPRNG, so two clients never pick the same id by
// chance, which the ledger's idempotency relies on.
std::string NewRequestId();

}  // namespace ledger::cli
