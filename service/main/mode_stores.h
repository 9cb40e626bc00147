// The store each serving mode calls, built as the flags say, timed per mode:
//  - memory: one MemoryStore that both modes share, each mode waiting out the
//    simulated I/O latency its own way (SimulatedIoStore), or not at all at 0;
//  - postgres: one PostgresStore per mode over that mode's connection pool
//    (coroutine mode's AsyncPool, thread mode's BlockingPool), both on the one
//    database.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "contract/serving_mode.h"
#include "service/metrics/server_metrics.h"
#include "service/stores/store.h"

namespace ledger {

class ModeStores {
 public:
  virtual ~ModeStores() = default;

  static std::unique_ptr<ModeStores> Memory(absl::Duration latency,
                                            metrics::ServerMetrics& metrics);
  // Connections are opened when first needed; PrepareDatabase comes first.
  static std::unique_ptr<ModeStores> Postgres(const std::string& dsn, int pool_size,
                                              metrics::ServerMetrics& metrics);

  virtual LedgerStore& For(ServingMode mode) = 0;
  // What the start-up lines say about the store, e.g. "store=memory, store_latency=1ms".
  virtual std::string Describe() const = 0;
};

}  // namespace ledger
