// Scrapes a Prometheus text endpoint over HTTP, as Prometheus does, and looks
// up samples by name and labels.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace ledger::testing {

using Labels = std::map<std::string, std::string>;

class Scrape {
 public:
  // GETs http://127.0.0.1:port/metrics; fails the test if that fails.
  static Scrape From(int port);
  // Parses the text exposition format (one sample per line).
  static Scrape Parse(const std::string& text);

  // The sample with exactly these labels, if it is there.
  std::optional<double> Find(const std::string& name, const Labels& labels = {}) const;
  // The same, failing the test (and returning -1) if it is missing.
  double Value(const std::string& name, const Labels& labels = {}) const;
  // How many samples of `name` there are, whatever their labels.
  int Count(const std::string& name) const;

 private:
  std::map<std::string, std::map<Labels, double>> samples_;
};

}  // namespace ledger::testing
