#include "service/ledger/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace ledger {

Sha256Hash Sha256(absl::string_view bytes) {
  Sha256Hash hash;
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), hash.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != hash.size()) {
    throw std::runtime_error("SHA-256 failed");
  }
  return hash;
}

}  // namespace ledger
