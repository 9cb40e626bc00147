// The transfers `import` and `stream` send, read from a file or standard input
// as CSV or JSON lines. The whole input is parsed before anything is sent, so
// a malformed line never leaves half a batch applied.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger::cli {

enum class InputFormat { kCsv, kJsonLines };

// The CSV header, in any column order; each name once.
inline constexpr char kCsvHeader[] = "request_id,from_id,to_id,amount";

// --format's value, "csv" or "jsonl"; anything else is an InvalidArgument
// naming the choices.
absl::StatusOr<InputFormat> ParseInputFormat(absl::string_view name);

// The format of an input without --format: by extension (.csv; .jsonl or
// .json), else by its first non-blank character ('{' is JSON lines, anything
// else CSV, whose header starts with a letter).
InputFormat DetectInputFormat(absl::string_view path, absl::string_view content);

// Parses every transfer of `content`. `source` names the input in errors,
// which read "source:line: what is wrong" with 1-based line numbers. Blank
// lines are skipped; an empty request_id is replaced by a new UUID.
absl::StatusOr<std::vector<v1::TransferRequest>> ParseTransfers(absl::string_view content,
                                                                InputFormat format,
                                                                absl::string_view source);

// Reads and parses `path` ("-" or "" for standard input). `format_flag` is
// --format's value, "" to detect the format. Every error, unreadable file included, is
// InvalidArgument.
absl::StatusOr<std::vector<v1::TransferRequest>> ReadTransfers(absl::string_view path,
                                                               absl::string_view format_flag);

}  // namespace ledger::cli
