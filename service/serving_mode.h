// The two ways ledger-server serves the same ledger. Their names appear in
// flags, startup lines and the `mode` label of every metric.
#pragma once

#include <array>

namespace ledger {

enum class ServingMode { kCoroutine, kThread };

inline constexpr std::array<ServingMode, 2> kServingModes = {ServingMode::kCoroutine,
                                                             ServingMode::kThread};

constexpr const char* ModeName(ServingMode mode) {
  return mode == ServingMode::kCoroutine ? "coroutine" : "thread";
}

}  // namespace ledger
