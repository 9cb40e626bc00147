// ServerProcess: runs the real ledger-server binary as a child process on a
// free loopback port, the way a user runs it, and stops it with SIGTERM.
#pragma once

#include <sys/types.h>

#include <string>
#include <thread>
#include <vector>

namespace ledger::testing {

class ServerProcess {
 public:
  // Starts `binary` (default: $LEDGER_SERVER) with --host=127.0.0.1 --port=0
  // and `flags`, and waits for its startup line. Aborts the test on failure.
  explicit ServerProcess(std::vector<std::string> flags = {}, std::string binary = "");
  // If Stop() was not called: stops the server with SIGTERM and expects it
  // to exit 0, as it must.
  ~ServerProcess();

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // "127.0.0.1:PORT"
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits for the process; returns its exit code, or 128 +
  // the signal number if a signal killed it.
  int Stop(int signal);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string address_;
  std::thread log_forwarder_;
};

}  // namespace ledger::testing
