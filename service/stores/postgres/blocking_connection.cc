#include "service/stores/postgres/blocking_connection.h"

#include "absl/strings/str_cat.h"
#include "service/stores/postgres/connection_options.h"

namespace ledger::postgres {

absl::StatusOr<std::unique_ptr<BlockingConnection>> BlockingConnection::Connect(
    const std::string& dsn, absl::Duration timeout, bool prepare_statements) {
  const ConnectionOptions options(dsn, timeout);
  ConnectionHandle connection(
      PQconnectdbParams(options.keywords(), options.values(), /*expand_dbname=*/1));
  if (!connection || PQstatus(connection.get()) != CONNECTION_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL: ", ErrorMessage(connection.get())));
  }
  IgnoreNotices(connection.get());
  std::unique_ptr<BlockingConnection> opened(new BlockingConnection(std::move(connection)));
  if (!prepare_statements) return opened;
  for (const StatementText& statement : Statements()) {
    Result prepared(PQprepare(opened->connection_.get(), statement.name, statement.sql,
                              statement.params, nullptr));
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return absl::UnavailableError(absl::StrCat("cannot prepare statement ", statement.name,
                                                 ": ", ErrorMessage(prepared.get())));
    }
  }
  return opened;
}

coro::Task<Reply> BlockingConnection::Run(std::vector<Query> queries,
                                          const coro::Cancellation& /*cancellation*/) {
  Reply reply;
  for (const Query& query : queries) {
    const ParamArrays params(query);
    Result result(PQexecPrepared(connection_.get(), TextOf(query.statement).name, params.count(),
                                 params.values(), params.lengths(), params.formats(),
                                 /*resultFormat=*/0));
    if (!Collect(connection_.get(), std::move(result), reply)) break;
  }
  if (!reply.ok()) {
    reply.results.clear();
    RollBackIfInTransaction();
  }
  co_return reply;
}

Reply BlockingConnection::Execute(const char* sql) {
  Reply reply;
  Collect(connection_.get(), Result(PQexec(connection_.get(), sql)), reply);
  if (!reply.ok()) RollBackIfInTransaction();
  return reply;
}

void BlockingConnection::RollBackIfInTransaction() {
  const PGTransactionStatusType status = PQtransactionStatus(connection_.get());
  if (status == PQTRANS_INTRANS || status == PQTRANS_INERROR) {
    Result rolled_back(PQexec(connection_.get(), "ROLLBACK"));
  }
}

}  // namespace ledger::postgres
