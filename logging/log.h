// The log line of ledger-server and ledger-load, written by spdlog on stderr
// (what operators read in `kubectl logs`). A thin layer on purpose: it
// configures spdlog once (name, level, text or JSON) and gives the call
// sites the printf-like Log() they use.
//
//   text: 2026-12-02T06:52:10.101Z ledger-server: coroutine mode listening on ...
//   json: {"ts":"2026-12-02T06:52:10.101Z","level":"info","logger":"ledger-server",
//          "msg":"coroutine mode listening on ..."}            (one line)
//
// Timestamps are UTC with milliseconds. A line's fields (Write) are keys of
// its JSON object, for collectors to index; the text line shows only the
// message, which says the same in words.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <variant>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace ledger {
namespace logging {

enum class Level { kDebug, kInfo, kWarning, kError };
enum class Format { kText, kJson };

// As flags spell them, for a message that lists the choices.
inline constexpr char kLevelChoices[] = "debug, info, warn, error";
inline constexpr char kFormatChoices[] = "text, json";
std::optional<Level> ParseLevel(absl::string_view name);
std::optional<Format> ParseFormat(absl::string_view name);

// Lines from now on start with `program` (text) or name it as "logger"
// (JSON), and those below `level` are dropped. Until it is called a process
// logs text at info under its own program name. Call it before other threads
// log: a line being written meanwhile may still take the old settings.
void Configure(absl::string_view program, Level level, Format format);

// Whether a line of `level` would be written: one atomic load, so that a
// debug line costs nothing when debug is off.
bool Enabled(Level level);

struct Field {
  absl::string_view key;
  std::variant<absl::string_view, int64_t, double> value;
};

// One line: `message`, and in JSON `fields` as keys of their own beside it.
// Thread-safe; lines from several threads never interleave.
void Write(Level level, absl::string_view message, std::initializer_list<Field> fields = {});

template <typename... Args>
void LogAt(Level level, const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (Enabled(level)) Write(level, absl::StrFormat(format, args...));
}

}  // namespace logging

// What the call sites use: Log() for what operators want to see by default.
template <typename... Args>
void Log(const absl::FormatSpec<Args...>& format, const Args&... args) {
  logging::LogAt(logging::Level::kInfo, format, args...);
}
template <typename... Args>
void LogDebug(const absl::FormatSpec<Args...>& format, const Args&... args) {
  logging::LogAt(logging::Level::kDebug, format, args...);
}
template <typename... Args>
void LogWarning(const absl::FormatSpec<Args...>& format, const Args&... args) {
  logging::LogAt(logging::Level::kWarning, format, args...);
}
template <typename... Args>
void LogError(const absl::FormatSpec<Args...>& format, const Args&... args) {
  logging::LogAt(logging::Level::kError, format, args...);
}

}  // namespace ledger
