#include "service/stores/postgres/statements.h"

namespace ledger::postgres {

const std::array<StatementText, kStatements>& Statements() {
  // The receipt's columns, in ReceiptColumn order.
#define LEDGER_RECEIPT_COLUMNS                                               \
  "sequence, request_id, from_id, to_id, amount, from_balance, to_balance, " \
  "(extract(epoch FROM committed_at) * 1000000)::bigint"
  static const std::array<StatementText, kStatements> statements = {{
      {"begin", "BEGIN", 0, 0},
      {"commit", "COMMIT", 0, 0},
      {"rollback", "ROLLBACK", 0, 0},
      {"open_account",
       "INSERT INTO accounts (id, balance, version, initial_balance, owner) "
       "VALUES ($1, $2, 1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id",
       3, 0},
      {"get_account", "SELECT balance, version, initial_balance, owner FROM accounts WHERE id = $1",
       1, 0},
      // Rows are locked in the order they are returned: always by id, so two
      // transfers between the same accounts never deadlock.
      {"lock_accounts",
       "SELECT id, balance, owner FROM accounts WHERE id = $1 OR id = $2 ORDER BY id FOR UPDATE", 2,
       0},
      {"find_transfer", "SELECT " LEDGER_RECEIPT_COLUMNS " FROM transfers WHERE request_id = $1", 1,
       0b1},
      // Runs with both account rows locked, so the sequence drawn here orders
      // each account's transfers as they commit.
      {"insert_transfer",
       "WITH payer AS (UPDATE accounts SET balance = $5, version = version + 1 WHERE id = $2), "
       "payee AS (UPDATE accounts SET balance = $6, version = version + 1 WHERE id = $3) "
       "INSERT INTO transfers (sequence, request_id, from_id, to_id, amount, from_balance, "
       "to_balance, committed_at) "
       "VALUES (nextval('transfer_sequence'), $1, $2, $3, $4, $5, $6, "
       "clock_timestamp()) "
       "RETURNING sequence, (extract(epoch FROM committed_at) * 1000000)::bigint",
       6, 0b1},
      {"account_exists", "SELECT 1 FROM accounts WHERE id = $1", 1, 0},
      // Two index range scans, one per side, merged: OR would scan the table.
      {"list_transfers",
       "SELECT " LEDGER_RECEIPT_COLUMNS " FROM ("
       "(SELECT * FROM transfers WHERE from_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3) "
       "UNION ALL "
       "(SELECT * FROM transfers WHERE to_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3)"
       ") AS mine ORDER BY sequence LIMIT $3",
       3, 0},
  }};
#undef LEDGER_RECEIPT_COLUMNS
  return statements;
}

const std::array<Migration, 2>& Migrations() {
  static const std::array<Migration, 2> migrations = {{
      {1,
       "CREATE TABLE accounts ("
       "  id text PRIMARY KEY,"
       "  balance bigint NOT NULL CHECK (balance >= 0),"
       "  version bigint NOT NULL CHECK (version >= 1),"
       "  initial_balance bigint NOT NULL CHECK (initial_balance >= 0));"
       "CREATE SEQUENCE transfer_sequence;"
       "CREATE TABLE transfers ("
       "  sequence bigint PRIMARY KEY,"
       "  request_id bytea NOT NULL UNIQUE,"
       "  from_id text NOT NULL REFERENCES accounts (id),"
       "  to_id text NOT NULL REFERENCES accounts (id),"
       "  amount bigint NOT NULL CHECK (amount > 0),"
       "  from_balance bigint NOT NULL,"
       "  to_balance bigint NOT NULL,"
       "  committed_at timestamptz NOT NULL);"
       "CREATE INDEX transfers_by_payer ON transfers (from_id, sequence);"
       "CREATE INDEX transfers_by_payee ON transfers (to_id, sequence);"},
      // Who opened each account; accounts opened before owners existed
      // belong to nobody, so only an admin may move or read them.
      {2, "ALTER TABLE accounts ADD COLUMN owner text NOT NULL DEFAULT ''"},
  }};
  return migrations;
}

}  // namespace ledger::postgres
