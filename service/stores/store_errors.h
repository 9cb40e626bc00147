// The answers every store gives in the same words, so a client sees one
// message whichever store the server runs.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ledger {

inline absl::Status UnknownAccountError(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("account ", id, " not found"));
}

inline absl::Status AccountTakenError(absl::string_view id) {
  return absl::AlreadyExistsError(absl::StrCat("account ", id, " already exists"));
}

}  // namespace ledger
