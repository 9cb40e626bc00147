#include "tests/bench/baseline/yardstick_process.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/synchronization/mutex.h"

namespace ledger::baseline {

bool ParseYardstickFlags(int argc, char** argv, YardstickFlagSet takes, const char* usage,
                         YardstickFlags& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&](const char* prefix) -> const char* {
      return arg.rfind(prefix, 0) == 0 ? argv[i] + std::strlen(prefix) : nullptr;
    };
    if (const char* host = value("--host=")) {
      flags.host = host;
    } else if (const char* port = value("--port=")) {
      flags.port = std::atoi(port);
    } else if (const char* threads = takes.threads ? value("--threads=") : nullptr) {
      flags.threads = std::atoi(threads);
    } else if (const char* hold_ms = takes.hold_ms ? value("--hold_ms=") : nullptr) {
      flags.hold_ms = std::atoi(hold_ms);
    } else {
      std::fprintf(stderr, "usage: %s\n", usage);
      return false;
    }
  }
  if (flags.port > 0 && flags.port < 65536 && flags.threads >= 1 && flags.hold_ms >= 0) return true;
  std::fprintf(stderr, "usage: %s\n", usage);
  return false;
}

sigset_t PrepareYardstickProcess() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

void WaitForStopSignal(const sigset_t& stop_signals) {
  int signal = 0;
  sigwait(&stop_signals, &signal);
}

}  // namespace ledger::baseline
