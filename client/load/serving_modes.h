// The server's two serving modes, by the names its startup lines and the
// `mode` label of its metrics use, taken from the server's own definition
// (a header of service/ that the clients may include, like defaults.h).
#pragma once

#include <array>

#include "service/serving_mode.h"

namespace ledger::load {

inline constexpr std::array<const char*, 2> kModeNames = {ModeName(ServingMode::kCoroutine),
                                                          ModeName(ServingMode::kThread)};

}  // namespace ledger::load
