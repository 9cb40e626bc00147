#include "service/stores/postgres/database.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/stores/postgres/blocking_connection.h"
#include "service/stores/postgres/connection_options.h"
#include "service/stores/postgres/statements.h"

namespace ledger::postgres {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMostBackoff = absl::Seconds(2);

absl::Status Failed(const char* what, const Reply& reply) {
  return absl::UnavailableError(absl::StrCat(what, ": ", reply.error));
}

absl::Status Migrate(BlockingConnection& connection) {
  // Held until the connection closes, so a server that dies midway releases it.
  if (Reply locked = connection.Execute(
          absl::StrCat("SELECT pg_advisory_lock(", kSchemaLockKey, ")").c_str());
      !locked.ok()) {
    return Failed("cannot take the schema lock", locked);
  }
  if (Reply created = connection.Execute(
          "CREATE TABLE IF NOT EXISTS ledger_schema_version ("
          "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      !created.ok()) {
    return Failed("cannot create ledger_schema_version", created);
  }
  Reply current = connection.Execute("SELECT coalesce(max(version), 0) FROM ledger_schema_version");
  if (!current.ok()) return Failed("cannot read the schema version", current);
  int version = 0;
  (void)absl::SimpleAtoi(PQgetvalue(current.results[0].get(), 0, 0), &version);
  const int latest = Migrations().back().version;
  if (version > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat("the database's schema is at version ", version,
                     ", newer than this server knows (", latest, "): run a newer server"));
  }
  for (const Migration& migration : Migrations()) {
    if (migration.version <= version) continue;
    Reply applied = connection.Execute(
        absl::StrCat("BEGIN; ", migration.sql, "; INSERT INTO ledger_schema_version (version) VALUES (",
                     migration.version, "); COMMIT")
            .c_str());
    if (!applied.ok()) {
      return Failed(absl::StrCat("cannot apply schema version ", migration.version).c_str(),
                    applied);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PrepareDatabase(const std::string& dsn, absl::Duration timeout,
                             absl::FunctionRef<void(const std::string&)> log) {
  const absl::Time give_up = absl::Now() + timeout;
  absl::Duration backoff = kFirstBackoff;
  for (;;) {
    const absl::Duration left = give_up - absl::Now();
    absl::StatusOr<std::unique_ptr<BlockingConnection>> connection = BlockingConnection::Connect(
        dsn, std::max(left, absl::Seconds(1)), /*prepare_statements=*/false);
    if (connection.ok()) return Migrate(**connection);
    const absl::Duration wait = std::min(backoff, give_up - absl::Now());
    if (wait <= absl::ZeroDuration()) {
      return absl::UnavailableError(absl::StrCat("PostgreSQL did not answer within ",
                                                 absl::FormatDuration(timeout), ": ",
                                                 connection.status().message()));
    }
    // The last attempt comes at the timeout itself, not a backoff before it.
    log(absl::StrCat(connection.status().message(), "; trying again in ",
                     absl::FormatDuration(wait)));
    absl::SleepFor(wait);
    backoff = std::min(backoff * 2, kMostBackoff);
  }
}

bool DatabaseAnswers(const std::string& dsn, absl::Duration timeout) {
  const ConnectionOptions options(dsn, timeout);
  return PQpingParams(options.keywords(), options.values(), /*expand_dbname=*/1) == PQPING_OK;
}

}  // namespace ledger::postgres
