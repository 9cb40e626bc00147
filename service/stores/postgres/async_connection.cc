#include "service/stores/postgres/async_connection.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/stores/postgres/connection_options.h"

namespace ledger::postgres {
namespace {

// A ROLLBACK after a failed step gets this long before the connection is
// given up instead.
constexpr absl::Duration kRollbackPatience = absl::Seconds(5);

}  // namespace

coro::Task<absl::StatusOr<std::unique_ptr<AsyncConnection>>> AsyncConnection::Connect(
    const std::string& dsn, coro::FdPoller& poller, const coro::Cancellation& cancellation) {
  // libpq ignores connect_timeout here: `cancellation` bounds the connect.
  const ConnectionOptions options(dsn, absl::ZeroDuration());
  ConnectionHandle connection(
      PQconnectStartParams(options.keywords(), options.values(), /*expand_dbname=*/1));
  if (!connection || PQstatus(connection.get()) == CONNECTION_BAD) {
    co_return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL: ", ErrorMessage(connection.get())));
  }
  // As libpq's manual says: start as if PQconnectPoll had asked to write. The
  // socket may change between polls (another host or address is tried).
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
  while (polling != PGRES_POLLING_OK) {
    if (polling == PGRES_POLLING_FAILED) {
      co_return absl::UnavailableError(
          absl::StrCat("cannot connect to PostgreSQL: ", ErrorMessage(connection.get())));
    }
    const uint32_t interest =
        polling == PGRES_POLLING_READING ? coro::FdPoller::kReadable : coro::FdPoller::kWritable;
    const bool ready = co_await poller.WaitFor(PQsocket(connection.get()), interest, cancellation);
    if (!ready) co_return absl::UnavailableError("connecting to PostgreSQL took too long");
    polling = PQconnectPoll(connection.get());
  }
  IgnoreNotices(connection.get());
  if (PQsetnonblocking(connection.get(), 1) != 0 || PQenterPipelineMode(connection.get()) != 1) {
    co_return absl::UnavailableError(
        absl::StrCat("cannot set up the connection: ", ErrorMessage(connection.get())));
  }

  std::unique_ptr<AsyncConnection> opened(new AsyncConnection(std::move(connection), poller));
  PGconn* const raw = opened->connection_.get();
  for (const StatementText& statement : Statements()) {
    PQsendPrepare(raw, statement.name, statement.sql, statement.params, nullptr);
  }
  PQpipelineSync(raw);
  Reply prepared;
  co_await opened->Complete(Statements().size(), prepared, cancellation);
  if (!prepared.ok()) {
    co_return absl::UnavailableError(
        absl::StrCat("cannot prepare the ledger's statements: ", prepared.error));
  }
  co_return opened;
}

coro::Task<Reply> AsyncConnection::Run(std::vector<Query> queries,
                                       const coro::Cancellation& cancellation) {
  Reply reply;
  if (broken()) {
    Fail(reply, Reply::Outcome::kConnectionLost, "the connection is broken");
    co_return reply;
  }
  PGconn* const connection = connection_.get();
  for (const Query& query : queries) {
    const ParamArrays params(query);
    if (!PQsendQueryPrepared(connection, TextOf(query.statement).name, params.count(),
                             params.values(), params.lengths(), params.formats(),
                             /*resultFormat=*/0)) {
      Fail(reply, Reply::Outcome::kConnectionLost, ErrorMessage(connection));
      co_return reply;
    }
  }
  if (!PQpipelineSync(connection)) {
    Fail(reply, Reply::Outcome::kConnectionLost, ErrorMessage(connection));
    co_return reply;
  }
  co_await Complete(queries.size(), reply, cancellation);
  if (!reply.ok() && !broken_) co_await RollBackIfInTransaction();
  co_return reply;
}

coro::Task<void> AsyncConnection::Complete(size_t count, Reply& reply,
                                           const coro::Cancellation& cancellation) {
  const bool flushed = co_await Flush(reply, cancellation);
  if (!flushed) co_return;
  // Each command's results end with a null one; after a failure, the rest
  // come back PGRES_PIPELINE_ABORTED, until the sync.
  for (size_t i = 0; i < count; ++i) {
    Result result;
    const bool got = co_await NextResult(result, reply, cancellation);
    if (!got) co_return;
    Collect(connection_.get(), std::move(result), reply);
    if (reply.outcome == Reply::Outcome::kConnectionLost) {
      broken_ = true;
      co_return;
    }
    Result end;
    const bool ended = co_await NextResult(end, reply, cancellation);
    if (!ended) co_return;
    if (end) {
      Fail(reply, Reply::Outcome::kConnectionLost, "PostgreSQL sent an unexpected result");
      co_return;
    }
  }
  Result sync;
  const bool synced = co_await NextResult(sync, reply, cancellation);
  if (!synced) co_return;
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    Fail(reply, Reply::Outcome::kConnectionLost,
         absl::StrCat("PostgreSQL sent no sync: ", ErrorMessage(connection_.get())));
  }
}

coro::Task<void> AsyncConnection::RollBackIfInTransaction() {
  const PGTransactionStatusType status = PQtransactionStatus(connection_.get());
  if (status != PQTRANS_INTRANS && status != PQTRANS_INERROR) co_return;
  const coro::Cancellation patience(std::stop_token(), absl::Now() + kRollbackPatience);
  PQsendQueryPrepared(connection_.get(), TextOf(Statement::kRollback).name, 0, nullptr, nullptr,
                      nullptr, 0);
  PQpipelineSync(connection_.get());
  Reply rolled_back;
  co_await Complete(1, rolled_back, patience);
  if (!rolled_back.ok()) broken_ = true;
}

coro::Task<bool> AsyncConnection::Flush(Reply& reply, const coro::Cancellation& cancellation) {
  PGconn* const connection = connection_.get();
  for (;;) {
    const int pending = PQflush(connection);
    if (pending == 0) co_return true;
    if (pending < 0) {
      Fail(reply, Reply::Outcome::kConnectionLost, ErrorMessage(connection));
      co_return false;
    }
    // Reading too while we wait to write: a server blocked on sending its
    // results would otherwise never read the rest of ours.
    const bool read = co_await AwaitSocket(coro::FdPoller::kReadable | coro::FdPoller::kWritable,
                                           reply, cancellation);
    if (!read) co_return false;
  }
}

coro::Task<bool> AsyncConnection::NextResult(Result& result, Reply& reply,
                                             const coro::Cancellation& cancellation) {
  PGconn* const connection = connection_.get();
  while (PQisBusy(connection)) {
    const bool read = co_await AwaitSocket(coro::FdPoller::kReadable, reply, cancellation);
    if (!read) co_return false;
  }
  result.reset(PQgetResult(connection));
  co_return true;
}

coro::Task<bool> AsyncConnection::AwaitSocket(uint32_t interest, Reply& reply,
                                              const coro::Cancellation& cancellation) {
  PGconn* const connection = connection_.get();
  const bool ready = co_await poller_.WaitFor(PQsocket(connection), interest, cancellation);
  if (!ready) {
    Fail(reply, Reply::Outcome::kCancelled, "gave up waiting for PostgreSQL");
    co_return false;
  }
  if (!PQconsumeInput(connection)) {
    Fail(reply, Reply::Outcome::kConnectionLost, ErrorMessage(connection));
    co_return false;
  }
  co_return true;
}

void AsyncConnection::Fail(Reply& reply, Reply::Outcome outcome, std::string error) {
  broken_ = true;
  if (!reply.ok()) return;  // the first failure is the one to report
  reply.outcome = outcome;
  reply.error = std::move(error);
  reply.results.clear();
}

}  // namespace ledger::postgres
