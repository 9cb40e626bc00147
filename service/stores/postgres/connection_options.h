// How both drivers open a connection: the user's libpq connection string,
// under settings of ours that it may override.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ledger::postgres {

// libpq's keyword/value arrays for PQconnectdbParams and PQconnectStartParams
// (expand_dbname = 1): our defaults first, then the DSN, which overrides them.
class ConnectionOptions {
 public:
  // `connect_timeout` bounds a blocking connect; a non-blocking one is bounded
  // by its caller.
  ConnectionOptions(const std::string& dsn, absl::Duration connect_timeout);
  const char* const* keywords() const { return keywords_.data(); }
  const char* const* values() const { return values_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<const char*> keywords_;
  std::vector<const char*> values_;
};

// INVALID_ARGUMENT saying what is wrong when libpq cannot parse `dsn`.
absl::Status CheckDsn(const std::string& dsn);

// `dsn` as key=value pairs without the password, for logs.
std::string RedactedDsn(const std::string& dsn);

}  // namespace ledger::postgres
