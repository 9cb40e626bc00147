// TokensFileWatch: keeps an Authenticator's table equal to the tokens file.
// The file is read again every `interval`, and a change of its contents
// replaces the table. It polls rather than using inotify: a Kubernetes Secret
// volume is updated by swapping a symlink to a new directory, which a watch
// on the file itself never sees.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/security/authenticator.h"

namespace ledger::security {

class TokensFileWatch {
 public:
  // Loads the file into `authenticator` now, and from then on every change
  // of it; INVALID_ARGUMENT naming the file (and the line) if it cannot be
  // read or parsed now. `log` hears of each reload, and of each error once
  // per change of the file; a file that no longer parses, or cannot be
  // read, leaves the table as it was.
  static absl::StatusOr<std::unique_ptr<TokensFileWatch>> Start(
      std::string path, absl::Duration interval, Authenticator& authenticator,
      std::function<void(const std::string&)> log);
  ~TokensFileWatch();

 private:
  TokensFileWatch(std::string path, std::string contents, absl::Duration interval,
                  Authenticator& authenticator, std::function<void(const std::string&)> log);
  void Watch(std::stop_token stop);

  const std::string path_;
  std::optional<std::string> contents_;  // as last read; only the watch thread touches it
  const absl::Duration interval_;
  Authenticator& authenticator_;
  const std::function<void(const std::string&)> log_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: started once the rest is ready
};

}  // namespace ledger::security
