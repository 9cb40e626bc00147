// What the three yardstick servers share around their serving code: their
// flags, the process setting ledger-server makes too, and the wait for
// SIGTERM or SIGINT.
#pragma once

#include <signal.h>

#include <string>

namespace ledger::baseline {

struct YardstickFlags {
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 1;  // completion-queue threads, where the server has them
  int hold_ms = 0;  // how long each unary call waits, where the server can
};

// Which flags beyond --host and --port a server takes.
struct YardstickFlagSet {
  bool threads = false;
  bool hold_ms = false;
};

// --name=value only: four flags do not justify a flags library. Prints
// `usage` and returns false on anything else or an invalid value.
bool ParseYardstickFlags(int argc, char** argv, YardstickFlagSet takes, const char* usage,
                         YardstickFlags& flags);

// Call first, before gRPC starts a thread. Turns off Abseil's lock-order
// check of every mutex acquisition (gRPC's mutexes are Abseil's, Debian's
// Abseil checks by default, and ledger-server turns it off too, so every
// server compared pays the same), and blocks SIGTERM and SIGINT so that every
// thread inherits the mask and only WaitForStopSignal sees them.
sigset_t PrepareYardstickProcess();

// Returns when SIGTERM or SIGINT arrives.
void WaitForStopSignal(const sigset_t& stop_signals);

}  // namespace ledger::baseline
