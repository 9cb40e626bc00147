// BlockingConnection: thread mode's driver, plain blocking libpq as such code
// is usually written. Each statement is one round trip during which the
// calling thread waits.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/stores/postgres/pg_query.h"

namespace ledger::postgres {

class BlockingConnection final : public Connection {
 public:
  // Connects, waiting at most `timeout`, and prepares every statement
  // (unless told not to: the schema may not exist yet). UNAVAILABLE with
  // libpq's reason when it cannot.
  static absl::StatusOr<std::unique_ptr<BlockingConnection>> Connect(
      const std::string& dsn, absl::Duration timeout, bool prepare_statements = true);

  // Runs to its end on the calling thread, which waits for every round trip:
  // a blocking driver cannot give up midway, so `cancellation` is not looked
  // at (the store checks it between transactions' steps).
  coro::Task<Reply> Run(std::vector<Query> queries,
                        const coro::Cancellation& cancellation) override;
  bool broken() const override { return PQstatus(connection_.get()) != CONNECTION_OK; }

  // Runs one SQL text with no parameters (schema changes at start-up).
  Reply Execute(const char* sql);

 private:
  explicit BlockingConnection(ConnectionHandle connection) : connection_(std::move(connection)) {}
  // Leaves no transaction open after a failure.
  void RollBackIfInTransaction();

  ConnectionHandle connection_;
};

}  // namespace ledger::postgres
