// The database as a whole, at start-up and while serving: waiting for it,
// bringing its schema up to date, and asking whether it answers.
#pragma once

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ledger::postgres {

// Connects, retrying with backoff until `timeout` has passed, then brings the
// schema to the latest version (statements.h). Safe when several servers
// start at once against an empty database: an advisory lock lets one of them
// change the schema at a time. Blocks; for start-up. `log` hears each failed
// attempt. UNAVAILABLE when the database never answered, FAILED_PRECONDITION
// when its schema is newer than this server knows.
absl::Status PrepareDatabase(const std::string& dsn, absl::Duration timeout,
                             absl::FunctionRef<void(const std::string&)> log);

// Whether the server accepts connections now (libpq's PQping). Blocks for
// at most about `timeout`.
bool DatabaseAnswers(const std::string& dsn, absl::Duration timeout);

}  // namespace ledger::postgres
