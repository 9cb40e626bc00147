// PostgresStore: the ledger in PostgreSQL, behind the same LedgerStore
// contract as the embedded store (README.md beside this file explains the
// design). Each serving mode has its own, over its own ConnectionPool; both
// share the database, as pods in Kubernetes do.
#pragma once

#include <vector>

#include "service/stores/postgres/connection_pool.h"
#include "service/stores/store.h"

namespace ledger::postgres {

class PostgresStore final : public LedgerStore {
 public:
  explicit PostgresStore(ConnectionPool& pool) : pool_(pool) {}

  absl::string_view name() const override { return "postgres"; }
  coro::Task<absl::StatusOr<v1::Account>> OpenAccount(
      std::string id, std::string owner, int64_t initial_balance,
      const coro::Cancellation& cancellation) override;
  coro::Task<absl::StatusOr<AccountRecord>> GetAccount(
      std::string id, const coro::Cancellation& cancellation) override;
  coro::Task<absl::StatusOr<v1::TransferReceipt>> CommitTransfer(
      v1::TransferRequest transfer, const Caller& caller,
      const coro::Cancellation& cancellation) override;
  coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> ListTransfers(
      std::string account_id, uint64_t after_sequence, int max_count,
      const coro::Cancellation& cancellation) override;

 private:
  // Runs `queries` as one step on a leased connection and returns their
  // results, trying again on a fresh connection when it was lost before an
  // answer, or when PostgreSQL asks for a retry.
  coro::Task<absl::StatusOr<std::vector<Result>>> RunStep(std::vector<Query> queries,
                                                          const coro::Cancellation& cancellation);

  ConnectionPool& pool_;
};

// A transfer, or a step that only reads, is tried this many times when
// PostgreSQL asks for a retry (serialization failure, deadlock) or the
// connection was lost before anything could have committed.
inline constexpr int kMaxAttempts = 5;
// How long a commit is waited for, whatever the call's deadline: once COMMIT
// is sent, giving up early would only turn a known outcome into an unknown
// one.
inline constexpr absl::Duration kCommitPatience = absl::Seconds(10);

}  // namespace ledger::postgres
