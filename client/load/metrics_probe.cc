#include "client/load/metrics_probe.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/load/prometheus_text.h"
#include "contract/metric_names.h"
#include "contract/ports.h"
#include "contract/serving_mode.h"

namespace ledger::load {

std::string MetricsAddress::ToString() const {
  return absl::StrContains(host, ':') ? absl::StrCat("[", host, "]:", port)
                                      : absl::StrCat(host, ":", port);
}

std::optional<MetricsAddress> ParseMetricsAddress(absl::string_view text) {
  MetricsAddress address{.host = std::string(text), .port = kDefaultMetricsPort};
  const size_t colon = text.rfind(':');
  const size_t bracket = text.rfind(']');
  if (colon != absl::string_view::npos && (bracket == absl::string_view::npos || colon > bracket)) {
    address.host = std::string(text.substr(0, colon));
    if (!absl::SimpleAtoi(text.substr(colon + 1), &address.port) || address.port < 1 ||
        address.port > 65535) {
      return std::nullopt;
    }
  }
  if (absl::StartsWith(address.host, "[") && absl::EndsWith(address.host, "]")) {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  if (address.host.empty()) return std::nullopt;
  return address;
}

absl::StatusOr<std::string> FetchMetrics(absl::string_view host_port, absl::Duration timeout) {
  const std::optional<MetricsAddress> address = ParseMetricsAddress(host_port);
  if (!address) return absl::InvalidArgumentError(absl::StrCat("bad metrics address ", host_port));
  addrinfo hints{};  // any family
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int error = getaddrinfo(address->host.c_str(), std::to_string(address->port).c_str(), &hints,
                              &found)) {
    return absl::UnavailableError(
        absl::StrCat("metrics at ", host_port, ": ", gai_strerror(error)));
  }
  // The first address that accepts. `timeout` bounds the connect (Linux
  // applies SO_SNDTIMEO to it), the request and every read.
  const timeval limit = absl::ToTimeval(timeout);
  int fd = -1;
  for (const addrinfo* at = found; at != nullptr && fd < 0; at = at->ai_next) {
    fd = socket(at->ai_family, at->ai_socktype | SOCK_CLOEXEC, at->ai_protocol);
    if (fd < 0) continue;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    if (connect(fd, at->ai_addr, at->ai_addrlen) != 0) fd = (close(fd), -1);
  }
  freeaddrinfo(found);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to metrics at ", host_port, ": ", std::strerror(errno)));
  }
  // HTTP/1.0: the server closes the connection after the body, so reading
  // to the end is reading the whole response, without chunked encoding.
  const std::string request = absl::StrCat("GET /metrics HTTP/1.0\r\nHost: ", address->host,
                                           "\r\nAccept: text/plain\r\n\r\n");
  std::string response;
  // A stopped and continued process sees EINTR even without signal handlers.
  ssize_t n = send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  for (char buffer[65536]; n > 0 || (n < 0 && errno == EINTR);) {
    n = recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) response.append(buffer, n);
  }
  const int error = errno;
  close(fd);
  if (n < 0) {
    return absl::UnavailableError(
        absl::StrCat("reading metrics from ", host_port, ": ", std::strerror(error)));
  }
  // "HTTP/1.x 200 ...", the headers, an empty line, the body.
  const size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos || !absl::StartsWith(response, "HTTP/1.") ||
      response.compare(9, 3, "200") != 0) {
    return absl::UnavailableError(absl::StrCat("metrics at ", host_port, " answered '",
                                               response.substr(0, response.find('\r')), "'"));
  }
  return response.substr(body + 4);
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

std::optional<double> ServerPeaks::ModeThreads(const std::string& mode) const {
  auto found = mode_threads.find(mode);
  if (found == mode_threads.end()) return std::nullopt;
  return found->second;
}

MetricsProbe::MetricsProbe(std::string address) : address_(std::move(address)) {
  if (address_.empty()) return;
  thread_ = std::jthread([this](std::stop_token stop) {
    std::mutex mutex;  // the wait's alone: Stop() wakes it through `stop`
    std::condition_variable_any sleep;
    std::unique_lock lock(mutex);
    while (!stop.stop_requested()) {
      Sample();
      sleep.wait_for(lock, stop, absl::ToChronoNanoseconds(kSamplePeriod), [] { return false; });
    }
  });
}

std::optional<ServerPeaks> MetricsProbe::Stop() {
  if (!thread_.joinable()) return std::nullopt;
  thread_.request_stop();
  thread_.join();
  Sample();  // the state at the very end, e.g. memory after the last call
  return peaks_;
}

void MetricsProbe::Sample() {
  absl::StatusOr<std::string> text = FetchMetrics(address_, absl::Seconds(2));
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
