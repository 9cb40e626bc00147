#include "service/stores/postgres/connection_pool.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "service/stores/postgres/async_connection.h"
#include "service/stores/postgres/blocking_connection.h"

namespace ledger::postgres {
namespace {

// Why a wait for a connection ended without one.
absl::Status GaveUp(const coro::Cancellation& cancellation) {
  absl::Status stop = cancellation.Check();
  return stop.ok() ? absl::UnavailableError("no PostgreSQL connection became free") : stop;
}

// A connect bounded by kConnectPatience and by the call.
coro::Cancellation ConnectCancellation(const coro::Cancellation& cancellation) {
  return coro::Cancellation(cancellation.stop_token(),
                            std::min(cancellation.deadline(), absl::Now() + kConnectPatience));
}

}  // namespace

int ConnectionPool::idle() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(idle_.size());
}

std::unique_ptr<Connection> ConnectionPool::TakeIdle() {
  std::lock_guard lock(mutex_);
  if (idle_.empty()) return nullptr;
  std::unique_ptr<Connection> connection = std::move(idle_.back());
  idle_.pop_back();
  return connection;
}

ConnectionPool::Lease ConnectionPool::Lend(std::unique_ptr<Connection> connection) {
  in_use_.fetch_add(1, std::memory_order_relaxed);
  return Lease(*this, std::move(connection));
}

void ConnectionPool::ObserveWait(absl::Duration waited) {
  if (wait_seconds_) wait_seconds_->Observe(absl::ToChronoNanoseconds(waited));
}

void ConnectionPool::Return(std::unique_ptr<Connection> connection) {
  in_use_.fetch_sub(1, std::memory_order_relaxed);
  std::vector<std::unique_ptr<Connection>> suspect;
  {
    std::lock_guard lock(mutex_);
    if (connection->broken()) {
      // The idle ones most likely broke too (the server restarted, the
      // network failed): dropped now, so that the next calls open fresh
      // connections instead of each finding a dead one first.
      suspect.swap(idle_);
    } else {
      idle_.push_back(std::move(connection));
    }
  }
  connection.reset();  // closed before its permit is reused
  suspect.clear();
  ReleasePermit();
}

AsyncPool::AsyncPool(std::string dsn, int size, coro::FdPoller& poller,
                     metrics::StripedHistogram* wait_seconds)
    : ConnectionPool(wait_seconds), dsn_(std::move(dsn)), poller_(poller), permits_(size) {}

coro::Task<absl::StatusOr<ConnectionPool::Lease>> AsyncPool::Acquire(
    const coro::Cancellation& cancellation) {
  const absl::Time start = absl::Now();
  const bool acquired = co_await permits_.Acquire(cancellation);
  ObserveWait(absl::Now() - start);
  if (!acquired) co_return GaveUp(cancellation);
  std::unique_ptr<Connection> connection = TakeIdle();
  if (!connection) {
    absl::StatusOr<std::unique_ptr<AsyncConnection>> opened =
        co_await AsyncConnection::Connect(dsn_, poller_, ConnectCancellation(cancellation));
    if (!opened.ok()) {
      permits_.Release();
      if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
      co_return opened.status();
    }
    connection = *std::move(opened);
  }
  co_return Lend(std::move(connection));
}

BlockingPool::BlockingPool(std::string dsn, int size, metrics::StripedHistogram* wait_seconds)
    : ConnectionPool(wait_seconds), dsn_(std::move(dsn)), permits_(size) {}

bool BlockingPool::AcquirePermit(const coro::Cancellation& cancellation) {
  std::unique_lock lock(permits_mutex_);
  auto free = [this] { return permits_ > 0; };
  std::stop_token stop = cancellation.stop_token();
  const bool acquired =
      cancellation.deadline() == absl::InfiniteFuture()
          ? permit_freed_.wait(lock, stop, free)
          : permit_freed_.wait_until(lock, stop, absl::ToChronoTime(cancellation.deadline()), free);
  if (acquired) --permits_;
  return acquired;
}

void BlockingPool::ReleasePermit() {
  {
    std::lock_guard lock(permits_mutex_);
    ++permits_;
  }
  permit_freed_.notify_one();
}

coro::Task<absl::StatusOr<ConnectionPool::Lease>> BlockingPool::Acquire(
    const coro::Cancellation& cancellation) {
  const absl::Time start = absl::Now();
  const bool acquired = AcquirePermit(cancellation);
  ObserveWait(absl::Now() - start);
  if (!acquired) co_return GaveUp(cancellation);
  std::unique_ptr<Connection> connection = TakeIdle();
  if (!connection) {
    absl::StatusOr<std::unique_ptr<BlockingConnection>> opened =
        BlockingConnection::Connect(dsn_, kConnectPatience);
    if (!opened.ok()) {
      ReleasePermit();
      co_return opened.status();
    }
    connection = *std::move(opened);
  }
  co_return Lend(std::move(connection));
}

}  // namespace ledger::postgres
