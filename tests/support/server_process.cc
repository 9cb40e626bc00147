#include "tests/support/server_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <regex>

namespace ledger::testing {
namespace {

constexpr auto kStartupTimeout = std::chrono::seconds(20);
constexpr auto kStopTimeout = std::chrono::seconds(30);

// Copies the child's stderr to ours (so a failing test shows the server's
// log) and hands over the ports of the startup lines, by mode and "metrics",
// once `modes` and the metrics endpoint have each printed theirs (or the log
// ends).
void ForwardLog(int fd, int modes, std::promise<std::map<std::string, int>> ports_promise) {
  static const std::regex kListening(
      "(coroutine|thread) mode listening on [^ ]*:([0-9]+)|"
      "(metrics) listening on http://[^ ]*:([0-9]+)/metrics");
  std::map<std::string, int> ports;
  bool handed_over = false;
  std::string line;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      line.push_back(buffer[i]);
      if (buffer[i] != '\n') continue;
      std::fputs(("[server] " + line).c_str(), stderr);
      std::smatch match;
      if (!handed_over && std::regex_search(line, match, kListening)) {
        const int first = match[1].matched ? 1 : 3;
        ports[match[first]] = std::stoi(match[first + 1]);
        if (static_cast<int>(ports.size()) == modes + 1) {
          ports_promise.set_value(ports);
          handed_over = true;
        }
      }
      line.clear();
    }
  }
  if (!handed_over) ports_promise.set_value(ports);
  close(fd);
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> flags, std::string binary) {
  if (binary.empty()) {
    const char* from_env = std::getenv("LEDGER_SERVER");
    if (from_env == nullptr) {
      ADD_FAILURE() << "LEDGER_SERVER is not set (CTest sets it to the built ledger-server)";
      return;
    }
    binary = from_env;
  }
  std::vector<std::string> args = {binary, "--host=127.0.0.1", "--port=0", "--thread_port=0",
                                   "--metrics_port=0"};
  args.insert(args.end(), flags.begin(), flags.end());
  std::string mode = "both";
  for (const auto& flag : flags) {
    if (flag.rfind("--mode=", 0) == 0) mode = flag.substr(7);
  }
  first_mode_ = mode == "thread" ? "thread" : "coroutine";
  const int modes = mode == "both" ? 2 : 1;

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return;
  }
  pid_ = fork();
  if (pid_ == 0) {
    dup2(pipe_fds[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    std::fprintf(stderr, "exec %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  close(pipe_fds[1]);
  if (pid_ < 0) {
    close(pipe_fds[0]);
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return;
  }
  std::promise<std::map<std::string, int>> ports_promise;
  auto ports = ports_promise.get_future();
  log_forwarder_ = std::thread(ForwardLog, pipe_fds[0], modes, std::move(ports_promise));
  if (ports.wait_for(kStartupTimeout) == std::future_status::ready) ports_ = ports.get();
  if (static_cast<int>(ports_.size()) != modes + 1) {
    ADD_FAILURE() << "ledger-server printed no startup line for each mode (--mode=" << mode
                  << ") and for metrics";
  }
}

int ServerProcess::port(const std::string& mode) const {
  auto found = ports_.find(mode);
  return found == ports_.end() ? 0 : found->second;
}

std::string ServerProcess::address(const std::string& mode) const {
  return "127.0.0.1:" + std::to_string(port(mode));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) EXPECT_EQ(Stop(SIGTERM), 0) << "ledger-server did not exit cleanly on SIGTERM";
  if (log_forwarder_.joinable()) log_forwarder_.join();
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  const auto give_up = std::chrono::steady_clock::now() + kStopTimeout;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) {
      ADD_FAILURE() << "ledger-server did not exit within " << kStopTimeout.count()
                    << "s of signal " << signal << "; killing it";
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (log_forwarder_.joinable()) log_forwarder_.join();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace ledger::testing
