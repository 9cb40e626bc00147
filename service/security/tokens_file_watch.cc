#include "service/security/tokens_file_watch.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/security/file_contents.h"

namespace ledger::security {
namespace {

absl::StatusOr<CredentialTable> Parse(const std::string& path, const std::string& text) {
  absl::StatusOr<CredentialTable> table = ParseTokensFile(text);
  if (!table.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", table.status().message()));
  }
  return table;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokensFileWatch>> TokensFileWatch::Start(
    std::string path, absl::Duration interval, Authenticator& authenticator,
    std::function<void(const std::string&)> log) {
  std::optional<std::string> text = FileContents(path);
  if (!text) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  absl::StatusOr<CredentialTable> table = Parse(path, *text);
  if (!table.ok()) return table.status();
  authenticator.Replace(*std::move(table));
  return std::unique_ptr<TokensFileWatch>(new TokensFileWatch(
      std::move(path), *std::move(text), interval, authenticator, std::move(log)));
}

TokensFileWatch::TokensFileWatch(std::string path, std::string contents, absl::Duration interval,
                                 Authenticator& authenticator,
                                 std::function<void(const std::string&)> log)
    : path_(std::move(path)),
      contents_(std::move(contents)),
      interval_(interval),
      authenticator_(authenticator),
      log_(std::move(log)),
      thread_([this](std::stop_token stop) { Watch(std::move(stop)); }) {}

TokensFileWatch::~TokensFileWatch() {
  thread_.request_stop();
  wake_.notify_all();
}

void TokensFileWatch::Watch(std::stop_token stop) {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, stop, absl::ToChronoMilliseconds(interval_),
                         [&stop] { return stop.stop_requested(); })) {
        return;
      }
    }
    std::optional<std::string> now = FileContents(path_);
    if (now == contents_) continue;
    contents_ = now;
    if (!now) {
      log_(absl::StrCat("cannot read the tokens file ", path_, "; the tokens loaded before stay"));
      continue;
    }
    absl::StatusOr<CredentialTable> table = Parse(path_, *now);
    if (!table.ok()) {
      log_(absl::StrCat("the tokens file changed but does not parse: ", table.status().message(),
                        "; the tokens loaded before stay"));
      continue;
    }
    log_(absl::StrCat("tokens file ", path_, " reloaded: ", table->tokens.size(), " tokens, ",
                      table->certificate_admins.size(), " certificate admins"));
    authenticator_.Replace(*std::move(table));
  }
}

}  // namespace ledger::security
