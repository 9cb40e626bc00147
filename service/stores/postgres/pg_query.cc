#include "service/stores/postgres/pg_query.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"

namespace ledger::postgres {

void IgnoreNotices(PGconn* connection) {
  PQsetNoticeProcessor(connection, [](void*, const char*) {}, nullptr);
}

std::string SqlState(const PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state ? state : "";
}

namespace {
std::string OneLine(const char* message) {
  if (!message) return "";
  return std::string(
      absl::StripAsciiWhitespace(absl::StrReplaceAll(message, {{"\n", " "}, {"\t", " "}})));
}
}  // namespace

std::string ErrorMessage(const PGresult* result) { return OneLine(PQresultErrorMessage(result)); }
std::string ErrorMessage(const PGconn* connection) { return OneLine(PQerrorMessage(connection)); }

ParamArrays::ParamArrays(const Query& query) {
  const uint32_t binary = TextOf(query.statement).binary_params;
  for (size_t i = 0; i < query.params.size(); ++i) {
    values_.push_back(query.params[i].c_str());
    lengths_.push_back(static_cast<int>(query.params[i].size()));
    formats_.push_back((binary >> i) & 1);
  }
}

bool Collect(PGconn* connection, Result result, Reply& reply) {
  switch (result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
      if (reply.ok()) reply.results.push_back(std::move(result));
      return true;
    case PGRES_PIPELINE_ABORTED:  // skipped after an earlier failure
      return false;
    default:
      if (!reply.ok()) return false;  // the first failure is the one to report
      if (PQstatus(connection) == CONNECTION_BAD) {
        reply.outcome = Reply::Outcome::kConnectionLost;
        reply.error = result ? ErrorMessage(result.get()) : ErrorMessage(connection);
      } else {
        reply.outcome = Reply::Outcome::kStatementError;
        reply.sqlstate = SqlState(result.get());
        reply.error = ErrorMessage(result.get());
      }
      reply.results.clear();
      return false;
  }
}

}  // namespace ledger::postgres
