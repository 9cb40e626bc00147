// ConnectionPool: each serving mode's PostgreSQL connections, at most `size`
// of them, opened when first needed and reopened after one breaks, so the
// store recovers by itself when the database comes back.
//
// A call leases a connection for one store operation (a whole transaction)
// and the lease gives it back. How a call waits for a free connection is its
// mode's: coroutine mode's waiters are suspended coroutines (AsyncPool), thread
// mode's are blocked threads (BlockingPool).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "coro/async_semaphore.h"
#include "coro/fd_poller.h"
#include "service/metrics/striped_histogram.h"
#include "service/stores/postgres/pg_query.h"

namespace ledger::postgres {

class ConnectionPool {
 public:
  virtual ~ConnectionPool() = default;

  // A connection held by one caller; back to the pool when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (connection_) pool_->Return(std::move(connection_));
    }
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // A connection, once one is free (opened if none is idle). UNAVAILABLE when
  // none can be opened; CANCELLED or DEADLINE_EXCEEDED when `cancellation`
  // ends the wait first.
  virtual coro::Task<absl::StatusOr<Lease>> Acquire(const coro::Cancellation& cancellation) = 0;

  // For the pool gauge, read when scraped.
  int in_use() const { return in_use_.load(std::memory_order_relaxed); }
  int idle() const;

 protected:
  // `wait_seconds` (may be null) observes how long each Acquire waited for a
  // free connection.
  explicit ConnectionPool(metrics::StripedHistogram* wait_seconds) : wait_seconds_(wait_seconds) {}

  // An idle connection, or null: then the caller opens one. Call with a
  // permit held.
  std::unique_ptr<Connection> TakeIdle();
  Lease Lend(std::unique_ptr<Connection> connection);
  void ObserveWait(absl::Duration waited);
  // Gives back the permit that Acquire took.
  virtual void ReleasePermit() = 0;

 private:
  // Keeps a connection that still works, drops one that broke (and the idle
  // ones with it); either way its permit is free again.
  void Return(std::unique_ptr<Connection> connection);

  metrics::StripedHistogram* const wait_seconds_;
  std::atomic<int> in_use_{0};
  mutable std::mutex mutex_;  // guards idle_
  std::vector<std::unique_ptr<Connection>> idle_;
};

// Coroutine mode: a call waiting for a connection is a coroutine suspended on
// an AsyncSemaphore, resumed on its own completion-queue thread; connections
// are AsyncConnections opened without blocking.
class AsyncPool final : public ConnectionPool {
 public:
  AsyncPool(std::string dsn, int size, coro::FdPoller& poller,
            metrics::StripedHistogram* wait_seconds);
  coro::Task<absl::StatusOr<Lease>> Acquire(const coro::Cancellation& cancellation) override;

 private:
  void ReleasePermit() override { permits_.Release(); }

  const std::string dsn_;
  coro::FdPoller& poller_;
  coro::AsyncSemaphore permits_;
};

// Thread mode: a call waiting for a connection blocks its thread, until a
// connection is free or the call is cancelled or past its deadline;
// connections are BlockingConnections.
class BlockingPool final : public ConnectionPool {
 public:
  BlockingPool(std::string dsn, int size, metrics::StripedHistogram* wait_seconds);
  coro::Task<absl::StatusOr<Lease>> Acquire(const coro::Cancellation& cancellation) override;

 private:
  // False when `cancellation` ended the wait first. std::counting_semaphore
  // cannot be woken by a stop token; a condition_variable_any can.
  bool AcquirePermit(const coro::Cancellation& cancellation);
  void ReleasePermit() override;

  const std::string dsn_;
  std::mutex permits_mutex_;
  std::condition_variable_any permit_freed_;
  int permits_;  // guarded by permits_mutex_
};

// How long opening a connection may take inside a call, whatever the call's
// own deadline: a database that does not answer fails the call with
// UNAVAILABLE rather than holding it.
inline constexpr absl::Duration kConnectPatience = absl::Seconds(5);

}  // namespace ledger::postgres
