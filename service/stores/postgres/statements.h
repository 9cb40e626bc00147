// Every SQL statement the PostgreSQL store runs, prepared once on each
// connection, and the schema they run against.
#pragma once

#include <array>
#include <cstdint>

namespace ledger::postgres {

enum class Statement {
  kBegin,
  kCommit,
  kRollback,
  kOpenAccount,       // $1 id, $2 initial balance, $3 owner -> (id) or no row if taken
  kGetAccount,        // $1 id -> (balance, version, initial_balance, owner)
  kLockAccounts,      // $1, $2 ids -> (id, balance, owner) locked, in id order
  kFindTransfer,      // $1 request id -> a receipt row, or none
  kInsertTransfer,    // $1 request id, $2 from, $3 to, $4 amount, $5/$6 balances -> (sequence, committed_at µs)
  kAccountExists,     // $1 id -> one row if it exists
  kListTransfers,     // $1 id, $2 after sequence, $3 limit -> receipt rows
};
inline constexpr int kStatements = static_cast<int>(Statement::kListTransfers) + 1;

struct StatementText {
  const char* name;  // of the prepared statement
  const char* sql;
  int params;
  uint32_t binary_params;  // bit i: parameter i+1 is sent as bytes, not text
};

// Indexed by Statement.
const std::array<StatementText, kStatements>& Statements();
inline const StatementText& TextOf(Statement statement) {
  return Statements()[static_cast<int>(statement)];
}

// Receipt rows (kFindTransfer, kListTransfers) have these columns; request_id
// is bytea, sent in hex.
enum ReceiptColumn {
  kSequence, kRequestId, kFromId, kToId, kAmount, kFromBalance, kToBalance, kCommittedAtMicros,
};

// The schema, in versions applied in order; each runs in one transaction that
// also records it in ledger_schema_version. Append new versions; never edit
// one that has shipped.
struct Migration {
  int version;
  const char* sql;
};
const std::array<Migration, 2>& Migrations();

// Serialises schema changes between processes that start at once.
inline constexpr int64_t kSchemaLockKey = 0x6c6564676572;  // "ledger"

}  // namespace ledger::postgres
