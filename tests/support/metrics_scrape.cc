#include "tests/support/metrics_scrape.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

namespace ledger::testing {
namespace {

// HTTP/1.0, so the server closes the connection when the body is complete.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ADD_FAILURE() << "connect to metrics port " << port << ": " << std::strerror(errno);
    close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    ADD_FAILURE() << "write to metrics port: " << std::strerror(errno);
  }
  std::string response;
  char buffer[65536];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
  close(fd);
  return response;
}

}  // namespace

Scrape Scrape::From(int port) {
  const std::string response = HttpGet(port, "/metrics");
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response.substr(0, 200);
  const size_t body = response.find("\r\n\r\n");
  return Parse(body == std::string::npos ? "" : response.substr(body + 4));
}

Scrape Scrape::Parse(const std::string& text) {
  Scrape scrape;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t brace = line.find('{');
    const size_t space = line.rfind(' ');
    std::string name = line.substr(0, std::min(brace, space));
    Labels labels;
    if (brace != std::string::npos) {
      // name{a="x",b="y"} value: our label values hold no quotes or commas.
      std::string body = line.substr(brace + 1, line.rfind('}') - brace - 1);
      std::istringstream pairs(body);
      for (std::string pair; std::getline(pairs, pair, ',');) {
        const size_t equals = pair.find('=');
        labels[pair.substr(0, equals)] = pair.substr(equals + 2, pair.size() - equals - 3);
      }
    }
    scrape.samples_[name][labels] = std::stod(line.substr(space + 1));
  }
  return scrape;
}

std::optional<double> Scrape::Find(const std::string& name, const Labels& labels) const {
  auto family = samples_.find(name);
  if (family == samples_.end()) return std::nullopt;
  auto sample = family->second.find(labels);
  if (sample == family->second.end()) return std::nullopt;
  return sample->second;
}

double Scrape::Value(const std::string& name, const Labels& labels) const {
  std::optional<double> value = Find(name, labels);
  if (!value) {
    std::string described;
    for (const auto& [label, label_value] : labels) described += label + "=" + label_value + " ";
    ADD_FAILURE() << "no sample " << name << " {" << described << "}";
    return -1;
  }
  return *value;
}

int Scrape::Count(const std::string& name) const {
  auto family = samples_.find(name);
  return family == samples_.end() ? 0 : static_cast<int>(family->second.size());
}

}  // namespace ledger::testing
