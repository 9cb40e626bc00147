#include "service/main/mode_stores.h"

#include "absl/strings/str_cat.h"
#include "coro/fd_poller.h"
#include "service/stores/io_wait.h"
#include "service/stores/memory_store.h"
#include "service/stores/postgres/connection_options.h"
#include "service/stores/postgres/connection_pool.h"
#include "service/stores/postgres/postgres_store.h"
#include "service/stores/simulated_io_store.h"
#include "service/stores/timed_store.h"

namespace ledger {
namespace {

class MemoryStores final : public ModeStores {
 public:
  MemoryStores(absl::Duration latency, metrics::ServerMetrics& metrics)
      : latency_(latency),
        coroutine_io_(store_, latency, await_alarm_),
        thread_io_(store_, latency, block_thread_),
        coroutine_(Waiting(coroutine_io_), ServingMode::kCoroutine, metrics.store_seconds()),
        thread_(Waiting(thread_io_), ServingMode::kThread, metrics.store_seconds()) {}

  LedgerStore& For(ServingMode mode) override {
    return mode == ServingMode::kCoroutine ? coroutine_ : thread_;
  }
  std::string Describe() const override {
    return absl::StrCat("store=memory, store_latency=", absl::FormatDuration(latency_));
  }

 private:
  // At zero latency there is no I/O to wait for: calls go straight to the
  // memory store, as they would to any embedded map, with no wait's frames
  // and trip through the queue's loop on each of them.
  LedgerStore& Waiting(SimulatedIoStore& io) {
    if (latency_ == absl::ZeroDuration()) return store_;
    return io;
  }

  const absl::Duration latency_;
  MemoryStore store_;
  AwaitAlarm await_alarm_;
  BlockThread block_thread_;
  SimulatedIoStore coroutine_io_;
  SimulatedIoStore thread_io_;
  TimedStore coroutine_;
  TimedStore thread_;
};

class PostgresStores final : public ModeStores {
 public:
  PostgresStores(const std::string& dsn, int pool_size, metrics::ServerMetrics& metrics)
      : description_(absl::StrCat("store=postgres (", postgres::RedactedDsn(dsn),
                                  "), postgres_pool_size=", pool_size)),
        coroutine_pool_(dsn, pool_size, poller_, &WaitSeconds(metrics, ServingMode::kCoroutine)),
        thread_pool_(dsn, pool_size, &WaitSeconds(metrics, ServingMode::kThread)),
        coroutine_store_(coroutine_pool_),
        thread_store_(thread_pool_),
        coroutine_(coroutine_store_, ServingMode::kCoroutine, metrics.store_seconds()),
        thread_(thread_store_, ServingMode::kThread, metrics.store_seconds()) {
    for (ServingMode mode : {ServingMode::kCoroutine, ServingMode::kThread}) {
      postgres::ConnectionPool& pool = Pool(mode);
      metrics.AddPoolGauges(
          mode, [&pool] { return pool.in_use(); }, [&pool] { return pool.idle(); });
    }
  }

  LedgerStore& For(ServingMode mode) override {
    return mode == ServingMode::kCoroutine ? coroutine_ : thread_;
  }
  std::string Describe() const override { return description_; }

 private:
  static metrics::StripedHistogram& WaitSeconds(metrics::ServerMetrics& metrics,
                                                ServingMode mode) {
    return metrics.pool_wait_seconds().Add({{"mode", ModeName(mode)}});
  }
  postgres::ConnectionPool& Pool(ServingMode mode) {
    if (mode == ServingMode::kCoroutine) return coroutine_pool_;
    return thread_pool_;
  }

  const std::string description_;
  coro::FdPoller poller_;  // first: outlives every connection it watches
  postgres::AsyncPool coroutine_pool_;
  postgres::BlockingPool thread_pool_;
  postgres::PostgresStore coroutine_store_;
  postgres::PostgresStore thread_store_;
  TimedStore coroutine_;
  TimedStore thread_;
};

}  // namespace

std::unique_ptr<ModeStores> ModeStores::Memory(absl::Duration latency,
                                               metrics::ServerMetrics& metrics) {
  return std::make_unique<MemoryStores>(latency, metrics);
}

std::unique_ptr<ModeStores> ModeStores::Postgres(const std::string& dsn, int pool_size,
                                                 metrics::ServerMetrics& metrics) {
  return std::make_unique<PostgresStores>(dsn, pool_size, metrics);
}

}  // namespace ledger
