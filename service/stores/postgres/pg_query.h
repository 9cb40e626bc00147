// What a PostgreSQL connection runs and what it answers, the same for both
// drivers (AsyncConnection for coroutine mode, BlockingConnection for thread
// mode), so PostgresStore states each transaction once.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "coro/cancellation.h"
#include "coro/task.h"
#include "service/stores/postgres/statements.h"

namespace ledger::postgres {

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnectionDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
using ConnectionHandle = std::unique_ptr<PGconn, ConnectionDeleter>;

// One execution of a prepared statement. Parameters are sent as text, except
// those the statement declares binary (request ids, which may hold any byte).
struct Query {
  Statement statement;
  std::vector<std::string> params;
};

// How a run of queries ended.
struct Reply {
  enum class Outcome {
    kOk,             // every query succeeded: one result each, in order
    kStatementError, // the server refused a query (sqlstate, error); nothing after it ran
    kConnectionLost, // the connection broke: what the server did is unknown
    kCancelled,      // the caller's cancellation cut the wait short; the connection is dropped
  };
  Outcome outcome = Outcome::kOk;
  std::vector<Result> results;
  std::string sqlstate;  // for kStatementError, e.g. "40001"
  std::string error;     // libpq's message, for logs and status messages

  bool ok() const { return outcome == Outcome::kOk; }
};

// A connection that one caller holds at a time (a Lease from ConnectionPool).
class Connection {
 public:
  virtual ~Connection() = default;

  // Runs `queries` in order and stops at the first that fails. After a
  // failure the connection is left outside any transaction (rolled back), or
  // broken(). `cancellation` may cut the wait short: then the connection is
  // broken, since what the server did is unknown.
  virtual coro::Task<Reply> Run(std::vector<Query> queries,
                                const coro::Cancellation& cancellation) = 0;

  // True once the connection can no longer be used; the pool then drops it.
  virtual bool broken() const = 0;
};

// Keeps PostgreSQL's notices (e.g. "relation ... already exists, skipping")
// out of the server's log; errors reach the caller as results.
void IgnoreNotices(PGconn* connection);

// The SQLSTATE of a failed result, e.g. "23505".
std::string SqlState(const PGresult* result);
// The message of a failed result or connection, on one line.
std::string ErrorMessage(const PGresult* result);
std::string ErrorMessage(const PGconn* connection);

// The parameter arrays PQexecPrepared and PQsendQueryPrepared take, pointing
// into `query`, which must outlive them.
class ParamArrays {
 public:
  explicit ParamArrays(const Query& query);
  int count() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// libpq's answer to one query, sorted into a Reply: a result appended, or the
// reply marked failed. True when the result was a success.
bool Collect(PGconn* connection, Result result, Reply& reply);

}  // namespace ledger::postgres
