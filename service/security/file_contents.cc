#include "service/security/file_contents.h"

#include <fstream>
#include <sstream>

namespace ledger::security {

std::optional<std::string> FileContents(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  if (!file) return std::nullopt;
  return contents.str();
}

}  // namespace ledger::security
