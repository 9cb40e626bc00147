// Gauges whose value is read when /metrics is scraped, from state the server
// keeps anyway (calls in flight, threads, coroutine frames), so the hot path
// does no extra bookkeeping for them.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/labels.h>
#include <prometheus/metric_family.h>

#include <functional>
#include <string>
#include <vector>

namespace ledger::metrics {

class ScrapeGauges final : public prometheus::Collectable {
 public:
  // At start-up, before the first scrape. Series of one name form one family
  // (the help of the first one added is the family's).
  void Add(const std::string& name, const std::string& help, const prometheus::Labels& labels,
           std::function<double()> read);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Gauge {
    std::string name;
    std::string help;
    std::vector<prometheus::ClientMetric::Label> labels;
    std::function<double()> read;
  };
  std::vector<Gauge> gauges_;
};

}  // namespace ledger::metrics
