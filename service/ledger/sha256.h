// SHA-256 (OpenSSL's libcrypto), for Audit's digest and the tokens file.
#pragma once

#include <array>

#include "absl/strings/string_view.h"

namespace ledger {

using Sha256Hash = std::array<unsigned char, 32>;

Sha256Hash Sha256(absl::string_view bytes);

}  // namespace ledger
