// Whole files read into memory: the certificates, keys and tokens file, each
// small, and each read again whole when it may have been rotated.
#pragma once

#include <optional>
#include <string>

namespace ledger::security {

// The bytes of the file at `path`, or nullopt when it cannot be read.
std::optional<std::string> FileContents(const std::string& path);

}  // namespace ledger::security
