// The two ways ledger-server serves the same ledger. Their names appear in
// flags, start-up lines, the `mode` label of every metric and the clients'
// reports.
#pragma once

#include <array>

namespace ledger {

enum class ServingMode { kCoroutine, kThread };

constexpr const char* ModeName(ServingMode mode) {
  return mode == ServingMode::kCoroutine ? "coroutine" : "thread";
}

// Every mode's name, in ServingMode's order.
inline constexpr std::array<const char*, 2> kModeNames = {ModeName(ServingMode::kCoroutine),
                                                          ModeName(ServingMode::kThread)};

}  // namespace ledger
