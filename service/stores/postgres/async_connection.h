// AsyncConnection: coroutine mode's driver. libpq in non-blocking pipeline
// mode: a run's statements go out together, then one sync, so a transaction
// step costs one round trip whatever its number of statements. While the
// socket is not ready, the calling coroutine is suspended in coro::FdPoller
// and its completion-queue thread serves other calls; the poller resumes it
// on that same thread.
//
// Ownership of the PGconn: whoever holds the connection (one coroutine, via a
// ConnectionPool lease) is the only one to call libpq on it, and only while it
// runs; the poller thread only watches the socket number and never touches
// the PGconn.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "coro/fd_poller.h"
#include "service/stores/postgres/pg_query.h"

namespace ledger::postgres {

class AsyncConnection final : public Connection {
 public:
  // Connects without blocking and prepares every statement. UNAVAILABLE with
  // libpq's reason when it cannot, or when `cancellation` cuts it short.
  static coro::Task<absl::StatusOr<std::unique_ptr<AsyncConnection>>> Connect(
      const std::string& dsn, coro::FdPoller& poller, const coro::Cancellation& cancellation);

  coro::Task<Reply> Run(std::vector<Query> queries,
                        const coro::Cancellation& cancellation) override;
  bool broken() const override { return broken_ || PQstatus(connection_.get()) != CONNECTION_OK; }

 private:
  AsyncConnection(ConnectionHandle connection, coro::FdPoller& poller)
      : connection_(std::move(connection)), poller_(poller) {}

  // Once `count` commands and a sync are queued: sends them and collects one
  // result per command into `reply`, through the sync.
  coro::Task<void> Complete(size_t count, Reply& reply, const coro::Cancellation& cancellation);
  // After a failed run: ends the transaction it left open, if any.
  coro::Task<void> RollBackIfInTransaction();
  // Waits until libpq has written everything queued.
  coro::Task<bool> Flush(Reply& reply, const coro::Cancellation& cancellation);
  // The next result, waiting for the socket while libpq needs more input;
  // false when the wait failed (`reply` says why).
  coro::Task<bool> NextResult(Result& result, Reply& reply,
                              const coro::Cancellation& cancellation);
  // Waits until the socket is ready for `interest`, then reads what has
  // come; false when the wait or the read failed (`reply` says why).
  coro::Task<bool> AwaitSocket(uint32_t interest, Reply& reply,
                               const coro::Cancellation& cancellation);
  // Marks the connection unusable: its state on the server is unknown.
  void Fail(Reply& reply, Reply::Outcome outcome, std::string error);

  ConnectionHandle connection_;
  coro::FdPoller& poller_;
  bool broken_ = false;
};

}  // namespace ledger::postgres
