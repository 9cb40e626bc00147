#include "client/cli/transfer_input.h"

#include <google/protobuf/util/json_util.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cli/request_id.h"

namespace ledger::cli {
namespace {

bool IsStdin(absl::string_view path) { return path.empty() || path == "-"; }

absl::Status LineError(absl::string_view source, size_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": ", what));
}

// Calls `parse(line_number, line)` for every non-blank line, CRLF endings
// accepted, and stops at the first error.
template <typename ParseLine>
absl::Status ForEachLine(absl::string_view content, ParseLine parse) {
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_number;
    absl::ConsumeSuffix(&line, "\r");
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (absl::Status status = parse(line_number, line); !status.ok()) return status;
  }
  return absl::OkStatus();
}

void FillMissingRequestId(v1::TransferRequest& request) {
  if (request.request_id().empty()) request.set_request_id(NewRequestId());
}

// Where each of the header's names sits in a row.
struct CsvColumns {
  size_t count = 0;
  size_t request_id, from_id, to_id, amount;
};

std::optional<CsvColumns> ParseCsvHeader(absl::string_view line) {
  constexpr std::array<absl::string_view, 4> kNames = {"request_id", "from_id", "to_id", "amount"};
  std::array<std::optional<size_t>, 4> positions;
  CsvColumns columns;
  for (absl::string_view field : absl::StrSplit(line, ',')) {
    field = absl::StripAsciiWhitespace(field);
    size_t name = 0;
    while (name < kNames.size() && kNames[name] != field) ++name;
    if (name == kNames.size() || positions[name].has_value()) return std::nullopt;
    positions[name] = columns.count++;
  }
  if (columns.count != kNames.size()) return std::nullopt;
  columns.request_id = *positions[0];
  columns.from_id = *positions[1];
  columns.to_id = *positions[2];
  columns.amount = *positions[3];
  return columns;
}

// Fields are split on commas without quoting: ids are [A-Za-z0-9_.-] and
// amounts are integers, so neither ever needs quotes.
absl::StatusOr<std::vector<v1::TransferRequest>> ParseCsv(absl::string_view content,
                                                          absl::string_view source) {
  std::vector<v1::TransferRequest> requests;
  std::optional<CsvColumns> columns;
  absl::Status status = ForEachLine(content, [&](size_t line_number, absl::string_view line) {
    if (!columns) {
      columns = ParseCsvHeader(line);
      if (!columns) {
        return LineError(
            source, line_number,
            absl::StrCat("expected the CSV header \"", kCsvHeader, "\", got \"", line, "\""));
      }
      return absl::OkStatus();
    }
    std::vector<absl::string_view> fields = absl::StrSplit(line, ',');
    if (fields.size() != columns->count) {
      return LineError(source, line_number,
                       absl::StrCat("expected ", columns->count, " comma-separated fields (",
                                    kCsvHeader, "), got ", fields.size()));
    }
    for (absl::string_view& field : fields) field = absl::StripAsciiWhitespace(field);
    int64_t amount = 0;
    if (!absl::SimpleAtoi(fields[columns->amount], &amount)) {
      return LineError(source, line_number,
                       absl::StrCat("amount \"", fields[columns->amount],
                                    "\" is not a whole number of minor units"));
    }
    v1::TransferRequest& request = requests.emplace_back();
    request.set_request_id(std::string(fields[columns->request_id]));
    request.set_from_id(std::string(fields[columns->from_id]));
    request.set_to_id(std::string(fields[columns->to_id]));
    request.set_amount(amount);
    FillMissingRequestId(request);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return requests;
}

absl::StatusOr<std::vector<v1::TransferRequest>> ParseJsonLines(absl::string_view content,
                                                                absl::string_view source) {
  std::vector<v1::TransferRequest> requests;
  absl::Status status = ForEachLine(content, [&](size_t line_number, absl::string_view line) {
    v1::TransferRequest request;
    // Unknown fields are errors: a misspelt "ammount" must not become 0.
    auto parsed = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(line.data(), line.size()), &request);
    if (!parsed.ok()) {
      // Only the first line: the parser goes on to quote the input with a caret,
      // which would break our one-line "source:line: what" form.
      const absl::string_view message(parsed.message().data(), parsed.message().size());
      return LineError(source, line_number,
                       absl::StrCat("not a TransferRequest JSON object: ",
                                    message.substr(0, message.find('\n'))));
    }
    FillMissingRequestId(request);
    requests.push_back(std::move(request));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return requests;
}

absl::StatusOr<std::string> ReadAll(absl::string_view path) {
  const std::string name(path);
  std::FILE* file = IsStdin(path) ? stdin : std::fopen(name.c_str(), "rb");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", name, ": ", std::strerror(errno)));
  }
  std::string content;
  std::array<char, 64 * 1024> buffer;
  size_t got;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file)) > 0)
    content.append(buffer.data(), got);
  const bool failed = std::ferror(file);
  const int error = errno;
  if (file != stdin) std::fclose(file);
  if (failed) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", IsStdin(path) ? "stdin" : name, ": ", std::strerror(error)));
  }
  return content;
}

}  // namespace

absl::StatusOr<InputFormat> ParseInputFormat(absl::string_view name) {
  if (name == "csv") return InputFormat::kCsv;
  if (name == "jsonl") return InputFormat::kJsonLines;
  return absl::InvalidArgumentError(absl::StrCat("--format=", name, " is not one of csv, jsonl"));
}

InputFormat DetectInputFormat(absl::string_view path, absl::string_view content) {
  if (absl::EndsWithIgnoreCase(path, ".csv")) return InputFormat::kCsv;
  if (absl::EndsWithIgnoreCase(path, ".jsonl") || absl::EndsWithIgnoreCase(path, ".json")) {
    return InputFormat::kJsonLines;
  }
  absl::string_view text = absl::StripLeadingAsciiWhitespace(content);
  return absl::StartsWith(text, "{") ? InputFormat::kJsonLines : InputFormat::kCsv;
}

absl::StatusOr<std::vector<v1::TransferRequest>> ParseTransfers(absl::string_view content,
                                                                InputFormat format,
                                                                absl::string_view source) {
  return format == InputFormat::kCsv ? ParseCsv(content, source) : ParseJsonLines(content, source);
}

absl::StatusOr<std::vector<v1::TransferRequest>> ReadTransfers(absl::string_view path,
                                                               absl::string_view format_flag) {
  std::optional<InputFormat> format;
  if (!format_flag.empty()) {
    absl::StatusOr<InputFormat> named = ParseInputFormat(format_flag);
    if (!named.ok()) return named.status();
    format = *named;
  }
  absl::StatusOr<std::string> content = ReadAll(path);
  if (!content.ok()) return content.status();
  return ParseTransfers(*content, format.value_or(DetectInputFormat(path, *content)),
                        IsStdin(path) ? "stdin" : path);
}

}  // namespace ledger::cli
