#include "logging/log.h"

#include <errno.h>  // program_invocation_short_name

#include <atomic>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "logging/json_escape.h"
#include "spdlog/logger.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace ledger::logging {
namespace {

constexpr char kTimestamp[] = "%Y-%m-%dT%H:%M:%S.%eZ";

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarning:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

// In JSON the logger's pattern writes the members spdlog knows (time, level,
// name) and Write() the rest as the payload, already JSON: spdlog 1.10 has no
// fields of its own. The name is ours and needs no escaping.
std::string Pattern(Format format) {
  if (format == Format::kText) return absl::StrCat(kTimestamp, " %n: %v");
  return absl::StrCat("{\"ts\":\"", kTimestamp, "\",\"level\":\"%l\",\"logger\":\"%n\",%v}");
}

spdlog::logger* MakeLogger(absl::string_view program, Level level, Format format) {
  auto logger =
      new spdlog::logger(std::string(program), std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(
      std::make_unique<spdlog::pattern_formatter>(Pattern(format), spdlog::pattern_time_type::utc));
  logger->set_level(ToSpdlog(level));
  return logger;
}

struct Settings {
  spdlog::logger* logger;
  Format format;
  // The settings these replaced, kept reachable (so leak checkers do not
  // report them) since a thread may still be writing a line with them.
  const Settings* replaced = nullptr;
};

// Never destroyed, nor those it replaces: gRPC's and protobuf's threads may
// log while the process exits.
std::atomic<Settings*>& Current() {
  static std::atomic<Settings*> current{new Settings{
      MakeLogger(program_invocation_short_name, Level::kInfo, Format::kText), Format::kText}};
  return current;
}

void AppendJsonValue(const Field& field, std::string& out) {
  if (const auto* text = std::get_if<absl::string_view>(&field.value)) {
    AppendJsonString(std::string_view(text->data(), text->size()), out);
  } else if (const auto* integer = std::get_if<int64_t>(&field.value)) {
    absl::StrAppend(&out, *integer);
  } else {
    absl::StrAppendFormat(&out, "%.3f", std::get<double>(field.value));
  }
}

}  // namespace

std::optional<Level> ParseLevel(absl::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn") return Level::kWarning;
  if (name == "error") return Level::kError;
  return std::nullopt;
}

std::optional<Format> ParseFormat(absl::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  return std::nullopt;
}

void Configure(absl::string_view program, Level level, Format format) {
  std::atomic<Settings*>& current = Current();
  current.store(new Settings{MakeLogger(program, level, format), format, current.load()});
}

bool Enabled(Level level) {
  return Current().load(std::memory_order_acquire)->logger->should_log(ToSpdlog(level));
}

void Write(Level level, absl::string_view message, std::initializer_list<Field> fields) {
  const Settings& settings = *Current().load(std::memory_order_acquire);
  if (!settings.logger->should_log(ToSpdlog(level))) return;
  if (settings.format == Format::kText) {
    settings.logger->log(ToSpdlog(level), spdlog::string_view_t(message.data(), message.size()));
    return;
  }
  std::string members = "\"msg\":";
  AppendJsonString(std::string_view(message.data(), message.size()), members);
  for (const Field& field : fields) {
    members += ',';
    AppendJsonString(std::string_view(field.key.data(), field.key.size()), members);
    members += ':';
    AppendJsonValue(field, members);
  }
  settings.logger->log(ToSpdlog(level), spdlog::string_view_t(members));
}

}  // namespace ledger::logging
