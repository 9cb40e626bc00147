#include "client/load/metrics_probe.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "contract/metric_names.h"
#include "contract/ports.h"
#include "contract/serving_mode.h"

namespace ledger::load {
namespace {

// "host:port", "[v6]:port" or a bare host (the server's default port).
std::pair<std::string, std::string> SplitHostPort(absl::string_view host_port) {
  std::string default_port = absl::StrCat(kDefaultMetricsPort);
  if (absl::ConsumePrefix(&host_port, "[")) {
    const size_t close = host_port.find(']');
    std::string host(host_port.substr(0, close));
    absl::string_view rest = close == absl::string_view::npos ? "" : host_port.substr(close + 1);
    return {host, absl::ConsumePrefix(&rest, ":") ? std::string(rest) : default_port};
  }
  const size_t colon = host_port.rfind(':');
  if (colon == absl::string_view::npos) return {std::string(host_port), default_port};
  return {std::string(host_port.substr(0, colon)), std::string(host_port.substr(colon + 1))};
}

// A connected socket with `timeout` on connect (Linux applies SO_SNDTIMEO to
// connect), reads and writes, or an error naming the address.
absl::StatusOr<int> Connect(const std::string& host, const std::string& port,
                            absl::Duration timeout, absl::string_view host_port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int error = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); error != 0) {
    return absl::UnavailableError(
        absl::StrCat("metrics at ", host_port, ": ", gai_strerror(error)));
  }
  const timeval limit = absl::ToTimeval(timeout);
  std::string last_error = "no address";
  int fd = -1;
  for (addrinfo* address = found; address != nullptr && fd < 0; address = address->ai_next) {
    fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
    if (fd < 0) continue;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    if (connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
      last_error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to metrics at ", host_port, ": ", last_error));
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::string> FetchMetrics(absl::string_view host_port, absl::Duration timeout) {
  const auto [host, port] = SplitHostPort(host_port);
  absl::StatusOr<int> fd = Connect(host, port, timeout, host_port);
  if (!fd.ok()) return fd.status();
  // HTTP/1.0: the server closes the connection after the body, so reading
  // to the end is reading the whole response, without chunked encoding.
  const std::string request =
      absl::StrCat("GET /metrics HTTP/1.0\r\nHost: ", host, "\r\nAccept: text/plain\r\n\r\n");
  std::string response;
  bool failed = send(*fd, request.data(), request.size(), MSG_NOSIGNAL) !=
                static_cast<ssize_t>(request.size());
  char buffer[65536];
  while (!failed) {
    const ssize_t n = recv(*fd, buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      failed = true;
    } else {
      response.append(buffer, n);
    }
  }
  const int error = errno;
  close(*fd);
  if (failed) {
    return absl::UnavailableError(
        absl::StrCat("reading metrics from ", host_port, ": ", std::strerror(error)));
  }
  const size_t body = response.find("\r\n\r\n");
  if (!absl::StartsWith(response, "HTTP/1.") || response.size() < 12 ||
      response.compare(9, 3, "200") != 0 || body == std::string::npos) {
    return absl::UnavailableError(absl::StrCat("metrics at ", host_port, " answered '",
                                               response.substr(0, response.find('\r')), "'"));
  }
  return response.substr(body + 4);
}

std::optional<double> FindSample(absl::string_view text, absl::string_view name,
                                 const std::map<std::string, std::string>& labels) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line[0] == '#' || !absl::ConsumePrefix(&line, name)) continue;
    std::map<std::string, std::string> line_labels;
    if (absl::ConsumePrefix(&line, "{")) {
      const size_t close = line.find('}');
      if (close == absl::string_view::npos) continue;
      // name{a="x",b="y"} value; the server's label values hold no quotes
      // or commas.
      for (absl::string_view pair : absl::StrSplit(line.substr(0, close), ',', absl::SkipEmpty())) {
        const size_t equals = pair.find('=');
        if (equals == absl::string_view::npos) continue;
        absl::string_view value = pair.substr(equals + 1);
        absl::ConsumePrefix(&value, "\"");
        absl::ConsumeSuffix(&value, "\"");
        line_labels[std::string(pair.substr(0, equals))] = std::string(value);
      }
      line = line.substr(close + 1);
    } else if (line.empty() || line[0] != ' ') {
      continue;  // a longer name that starts with `name`
    }
    if (line_labels != labels) continue;
    line = absl::StripLeadingAsciiWhitespace(line);
    double value = 0;
    // A timestamp may follow the value.
    if (absl::SimpleAtod(line.substr(0, line.find(' ')), &value)) return value;
  }
  return std::nullopt;
}

void ServerPeaks::Merge(const ServerPeaks& other) {
  auto merge_max = [](std::map<std::string, double>& into,
                      const std::map<std::string, double>& from) {
    for (const auto& [mode, value] : from) {
      auto [slot, inserted] = into.emplace(mode, value);
      if (!inserted) slot->second = std::max(slot->second, value);
    }
  };
  merge_max(mode_threads, other.mode_threads);
  merge_max(inflight_calls, other.inflight_calls);
  if (other.resident_memory_bytes) {
    resident_memory_bytes =
        std::max(resident_memory_bytes.value_or(0), *other.resident_memory_bytes);
  }
  samples += other.samples;
  failures += other.failures;
}

MetricsProbe::MetricsProbe(std::string host_port, absl::Duration period)
    : host_port_(std::move(host_port)), period_(period) {}

MetricsProbe::~MetricsProbe() {
  if (thread_.joinable()) Stop();
}

void MetricsProbe::Start() {
  stopping_ = false;
  peaks_ = ServerPeaks();
  thread_ = std::thread([this] { Loop(); });
}

ServerPeaks MetricsProbe::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  thread_.join();
  Sample();  // the state at the very end, e.g. memory after the last call
  return peaks_;
}

void MetricsProbe::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    Sample();
    lock.lock();
    stop_requested_.wait_for(lock, absl::ToChronoNanoseconds(period_),
                             [this] { return stopping_; });
  }
}

void MetricsProbe::Sample() {
  absl::StatusOr<std::string> text = FetchMetrics(host_port_, absl::Seconds(2));
  ServerPeaks sample;
  if (!text.ok()) {
    sample.failures = 1;
  } else {
    sample.samples = 1;
    for (const char* mode : kModeNames) {
      if (auto threads = FindSample(*text, metrics::kModeThreads, {{"mode", mode}})) {
        sample.mode_threads[mode] = *threads;
      }
      if (auto inflight = FindSample(*text, metrics::kInflightCalls, {{"mode", mode}})) {
        sample.inflight_calls[mode] = *inflight;
      }
    }
    sample.resident_memory_bytes = FindSample(*text, metrics::kProcessResidentMemoryBytes);
  }
  std::lock_guard lock(mutex_);
  peaks_.Merge(sample);
}

}  // namespace ledger::load
