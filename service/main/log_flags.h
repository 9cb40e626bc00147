// ledger-server's --log_level and --log_format, which configure its log
// (logging/log.h).
#pragma once

namespace ledger {

// The program's name in every line, which tests and operators match.
inline constexpr char kServerLogName[] = "ledger-server";

// Configures the log from the two flags; false, having said why in the
// log, if either names no choice.
bool ConfigureLogFromFlags();

}  // namespace ledger
