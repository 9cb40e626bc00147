// ServerProcess: runs the real ledger-server binary as a child process on
// free loopback ports, the way a user runs it, and stops it with SIGTERM.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

namespace ledger::testing {

class ServerProcess {
 public:
  // Starts `binary` (default: $LEDGER_SERVER) with --host=127.0.0.1, free
  // ports and `flags`, and waits for the startup line of each mode it serves
  // (--mode=..., default both) and of the metrics endpoint. Fails the test if
  // they do not come.
  explicit ServerProcess(std::vector<std::string> flags = {}, std::string binary = "");
  // If Stop() was not called: stops the server with SIGTERM and expects it
  // to exit 0, as it must.
  ~ServerProcess();

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // The port of `mode` ("coroutine" or "thread"), 0 if it does not serve it;
  // port("metrics") is the metrics endpoint's.
  int port(const std::string& mode) const;
  std::string address(const std::string& mode) const;
  // Those of the first mode served: coroutine, unless only thread.
  int port() const { return port(first_mode_); }
  std::string address() const { return address(first_mode_); }
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits for the process; returns its exit code, or 128 +
  // the signal number if a signal killed it.
  int Stop(int signal);

 private:
  pid_t pid_ = -1;
  std::string first_mode_;
  std::map<std::string, int> ports_;
  std::thread log_forwarder_;
};

}  // namespace ledger::testing
