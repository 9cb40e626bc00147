// A string as a JSON string literal, whatever bytes it holds: a log line in
// JSON must parse even when a peer or an exception put quotes, newlines or
// bytes that are not UTF-8 into its message.
#pragma once

#include <string>
#include <string_view>

namespace ledger::logging {

// Appends `text` to `out` quoted and escaped. Valid UTF-8 is kept as it is;
// a byte that is not part of valid UTF-8 is written as \u00XX (JSON has no
// way to carry a raw byte, and this keeps its value readable).
void AppendJsonString(std::string_view text, std::string& out);

}  // namespace ledger::logging
