#include "service/stores/postgres/connection_options.h"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ledger::postgres {
namespace {

struct OptionsDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
using ParsedOptions = std::unique_ptr<PQconninfoOption, OptionsDeleter>;

// Parses `dsn` (key=value pairs or a postgresql:// URI); null and `error`
// set when it does not parse.
ParsedOptions Parse(const std::string& dsn, std::string& error) {
  char* message = nullptr;
  ParsedOptions options(PQconninfoParse(dsn.c_str(), &message));
  if (message) {
    error = message;
    PQfreemem(message);
  }
  return options;
}

}  // namespace

ConnectionOptions::ConnectionOptions(const std::string& dsn, absl::Duration connect_timeout) {
  // libpq rounds connect_timeout to whole seconds and treats 1 as 2.
  const int64_t seconds = std::max<int64_t>(2, absl::ToInt64Seconds(absl::Ceil(
                                                   connect_timeout, absl::Seconds(1))));
  // Keepalives notice a peer that vanished without closing the connection
  // (a node lost, a network cut) within about 20 s instead of hours.
  storage_ = {"application_name", "ledger-server",
              "connect_timeout",  absl::StrCat(seconds),
              "keepalives_idle",  "10",
              "keepalives_interval", "5",
              "keepalives_count", "2",
              "dbname",           dsn};
  for (size_t i = 0; i < storage_.size(); i += 2) {
    keywords_.push_back(storage_[i].c_str());
    values_.push_back(storage_[i + 1].c_str());
  }
  keywords_.push_back(nullptr);
  values_.push_back(nullptr);
}

absl::Status CheckDsn(const std::string& dsn) {
  std::string error;
  if (!Parse(dsn, error)) {
    return absl::InvalidArgumentError(absl::StrCat("not a libpq connection string: ", error));
  }
  return absl::OkStatus();
}

std::string RedactedDsn(const std::string& dsn) {
  std::string error;
  ParsedOptions options = Parse(dsn, error);
  if (!options) return "(unparsable connection string)";
  std::vector<std::string> pairs;
  for (const PQconninfoOption* option = options.get(); option->keyword; ++option) {
    if (!option->val || absl::string_view(option->keyword) == "password") continue;
    pairs.push_back(absl::StrCat(option->keyword, "=", option->val));
  }
  return absl::StrJoin(pairs, " ");
}

}  // namespace ledger::postgres
