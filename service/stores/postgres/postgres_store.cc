#include "service/stores/postgres/postgres_store.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/ledger/ledger_rules.h"
#include "service/stores/store_errors.h"

namespace ledger::postgres {
namespace {

// Whether a step that failed before anything could commit may be tried
// again: the database asked for it (serialization failure, deadlock), or the
// connection broke (e.g. the server restarted: its last word on a pooled
// connection is "terminating connection due to administrator command"), and
// the next attempt takes a fresh one.
bool IsRetryable(const Reply& reply, const Connection& connection) {
  switch (reply.outcome) {
    case Reply::Outcome::kConnectionLost:
      return true;
    case Reply::Outcome::kStatementError:
      return reply.sqlstate == "40001" || reply.sqlstate == "40P01" || connection.broken();
    default:
      return false;
  }
}

// The status for a step that failed and will not be tried again.
absl::Status StepFailed(const Reply& reply, const coro::Cancellation& cancellation) {
  switch (reply.outcome) {
    case Reply::Outcome::kOk:
      return absl::OkStatus();
    case Reply::Outcome::kCancelled:
      if (absl::Status stop = cancellation.Check(); !stop.ok()) return stop;
      return absl::UnavailableError("PostgreSQL did not answer in time");
    case Reply::Outcome::kConnectionLost:
      return absl::UnavailableError(
          absl::StrCat("lost the connection to PostgreSQL: ", reply.error));
    case Reply::Outcome::kStatementError:
      // Class 08: connection exceptions; 57P0x: the server is shutting down,
      // crashed, or not yet accepting connections.
      if (reply.sqlstate.starts_with("08") || reply.sqlstate.starts_with("57P")) {
        return absl::UnavailableError(absl::StrCat("PostgreSQL is unavailable: ", reply.error));
      }
      return absl::InternalError(absl::StrCat("PostgreSQL: ", reply.error));
  }
  return absl::InternalError("unreachable");
}

int64_t Int64At(const PGresult* result, int row, int column) {
  int64_t value = 0;
  (void)absl::SimpleAtoi(PQgetvalue(result, row, column), &value);
  return value;
}

void SetMicros(int64_t micros, google::protobuf::Timestamp& timestamp) {
  timestamp.set_seconds(micros / 1'000'000);
  timestamp.set_nanos(static_cast<int32_t>(micros % 1'000'000) * 1000);
}

// A receipt row (ReceiptColumn order); bytea comes as "\x" and hex digits.
v1::TransferReceipt ReadReceipt(const PGresult* result, int row) {
  v1::TransferReceipt receipt;
  receipt.set_sequence(static_cast<uint64_t>(Int64At(result, row, kSequence)));
  const absl::string_view hex = PQgetvalue(result, row, kRequestId);
  receipt.set_request_id(absl::HexStringToBytes(hex.substr(std::min<size_t>(2, hex.size()))));
  receipt.set_from_id(PQgetvalue(result, row, kFromId));
  receipt.set_to_id(PQgetvalue(result, row, kToId));
  receipt.set_amount(Int64At(result, row, kAmount));
  receipt.set_from_balance(Int64At(result, row, kFromBalance));
  receipt.set_to_balance(Int64At(result, row, kToBalance));
  SetMicros(Int64At(result, row, kCommittedAtMicros), *receipt.mutable_committed_at());
  return receipt;
}

struct LockedAccount {
  int64_t balance;
  absl::string_view owner;  // in the result
};

// The locked row of `id` in a kLockAccounts result, if the account exists.
std::optional<LockedAccount> FindLocked(const PGresult* locked, const std::string& id) {
  for (int row = 0; row < PQntuples(locked); ++row) {
    if (id == PQgetvalue(locked, row, 0)) {
      return LockedAccount{Int64At(locked, row, 1), PQgetvalue(locked, row, 2)};
    }
  }
  return std::nullopt;
}

// What step 1 of a transfer found, decided with the rules as MemoryStore
// decides under its mutex: an answer that writes nothing, or the balances to
// write.
struct Decision {
  std::optional<absl::StatusOr<v1::TransferReceipt>> answer;
  BalancesAfter after{};
};

Decision Decide(const Reply& locked, const v1::TransferRequest& transfer, const Caller& caller) {
  const PGresult* rows = locked.results[1].get();
  const std::optional<LockedAccount> payer = FindLocked(rows, transfer.from_id());
  if (!payer) return {UnknownAccountError(transfer.from_id())};
  absl::Status denied = AuthorizeOwner(caller, transfer.from_id(), payer->owner, "debit");
  if (!denied.ok()) return {std::move(denied)};
  const std::optional<LockedAccount> payee = FindLocked(rows, transfer.to_id());
  if (!payee) return {UnknownAccountError(transfer.to_id())};
  if (const PGresult* found = locked.results[2].get(); PQntuples(found) > 0) {
    v1::TransferReceipt committed = ReadReceipt(found, 0);
    absl::Status retry = CheckRetry(committed, transfer);
    if (!retry.ok()) return {retry};
    return {std::move(committed)};
  }
  absl::StatusOr<BalancesAfter> after =
      ApplyTransfer(payer->balance, payee->balance, transfer.amount());
  if (!after.ok()) return {after.status()};
  return {std::nullopt, *after};
}

// The steps, built outside the coroutines: GCC 12 cannot compile a braced
// list in a coroutine's body when its elements have destructors.
std::vector<Query> OpenAccountStep(const std::string& id, const std::string& owner,
                                   int64_t initial_balance) {
  return {Query{Statement::kOpenAccount, {id, absl::StrCat(initial_balance), owner}}};
}
std::vector<Query> GetAccountStep(const std::string& id) {
  return {Query{Statement::kGetAccount, {id}}};
}
// Locks both accounts (in id order), then looks for the request_id. Looked
// for under the locks, a concurrent retry of the same transfer, which locks
// the same rows, has committed or not.
std::vector<Query> LockStep(const v1::TransferRequest& transfer) {
  return {Query{Statement::kBegin, {}},
          Query{Statement::kLockAccounts, {transfer.from_id(), transfer.to_id()}},
          Query{Statement::kFindTransfer, {transfer.request_id()}}};
}
std::vector<Query> RollbackStep() { return {Query{Statement::kRollback, {}}}; }
std::vector<Query> CommitStep(const v1::TransferRequest& transfer, const BalancesAfter& after) {
  return {Query{Statement::kInsertTransfer,
                {transfer.request_id(), transfer.from_id(), transfer.to_id(),
                 absl::StrCat(transfer.amount()), absl::StrCat(after.from_balance),
                 absl::StrCat(after.to_balance)}},
          Query{Statement::kCommit, {}}};
}
std::vector<Query> ListStep(const std::string& account_id, uint64_t after_sequence, int max_count) {
  // Sequences are bigint; none is above the largest.
  const uint64_t after = std::min<uint64_t>(after_sequence, std::numeric_limits<int64_t>::max());
  return {Query{Statement::kAccountExists, {account_id}},
          Query{Statement::kListTransfers,
                {account_id, absl::StrCat(after), absl::StrCat(std::max(max_count, 0))}}};
}

coro::Cancellation CommitCancellation() {
  return coro::Cancellation(std::stop_token(), absl::Now() + kCommitPatience);
}

}  // namespace

coro::Task<absl::StatusOr<std::vector<Result>>> PostgresStore::RunStep(
    std::vector<Query> queries, const coro::Cancellation& cancellation) {
  for (int attempt = 1;; ++attempt) {
    if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
    absl::StatusOr<ConnectionPool::Lease> lease = co_await pool_.Acquire(cancellation);
    if (!lease.ok()) co_return lease.status();
    Reply reply = co_await (*lease)->Run(queries, cancellation);
    if (reply.ok()) co_return std::move(reply.results);
    if (!IsRetryable(reply, **lease) || attempt == kMaxAttempts) {
      co_return StepFailed(reply, cancellation);
    }
  }
}

coro::Task<absl::StatusOr<v1::Account>> PostgresStore::OpenAccount(
    std::string id, std::string owner, int64_t initial_balance,
    const coro::Cancellation& cancellation) {
  absl::StatusOr<std::vector<Result>> results =
      co_await RunStep(OpenAccountStep(id, owner, initial_balance), cancellation);
  if (!results.ok()) co_return results.status();
  if (PQntuples((*results)[0].get()) == 0) co_return AccountTakenError(id);
  v1::Account account;
  account.set_id(std::move(id));
  account.set_owner(std::move(owner));
  account.set_balance(initial_balance);
  account.set_version(1);
  co_return account;
}

coro::Task<absl::StatusOr<AccountRecord>> PostgresStore::GetAccount(
    std::string id, const coro::Cancellation& cancellation) {
  absl::StatusOr<std::vector<Result>> results = co_await RunStep(GetAccountStep(id), cancellation);
  if (!results.ok()) co_return results.status();
  const PGresult* row = (*results)[0].get();
  if (PQntuples(row) == 0) co_return UnknownAccountError(id);
  AccountRecord record;
  record.account.set_id(std::move(id));
  record.account.set_balance(Int64At(row, 0, 0));
  record.account.set_version(Int64At(row, 0, 1));
  record.initial_balance = Int64At(row, 0, 2);
  record.account.set_owner(PQgetvalue(row, 0, 3));
  co_return record;
}

coro::Task<absl::StatusOr<v1::TransferReceipt>> PostgresStore::CommitTransfer(
    v1::TransferRequest transfer, const Caller& caller, const coro::Cancellation& cancellation) {
  const std::string& request_id = transfer.request_id();
  for (int attempt = 1;; ++attempt) {
    if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
    absl::StatusOr<ConnectionPool::Lease> lease = co_await pool_.Acquire(cancellation);
    if (!lease.ok()) co_return lease.status();
    Connection& connection = **lease;

    // Step 1, one round trip: lock, and look for the request_id.
    Reply locked = co_await connection.Run(LockStep(transfer), cancellation);
    if (!locked.ok()) {
      if (IsRetryable(locked, connection) && attempt < kMaxAttempts) continue;
      co_return StepFailed(locked, cancellation);
    }
    Decision decision = Decide(locked, transfer, caller);
    if (absl::Status stop = cancellation.Check(); !decision.answer && !stop.ok()) {
      decision.answer = stop;  // the last moment to give up
    }
    if (decision.answer) {
      co_await connection.Run(RollbackStep(), CommitCancellation());
      co_return *std::move(decision.answer);
    }
    const BalancesAfter& after = decision.after;

    // Step 2, one round trip: write and commit. From here on the call waits
    // for the outcome whatever its own cancellation says.
    Reply committed = co_await connection.Run(CommitStep(transfer, after), CommitCancellation());
    if (committed.ok()) {
      const PGresult* inserted = committed.results[0].get();
      v1::TransferReceipt receipt;
      receipt.set_sequence(static_cast<uint64_t>(Int64At(inserted, 0, 0)));
      receipt.set_request_id(request_id);
      receipt.set_from_id(transfer.from_id());
      receipt.set_to_id(transfer.to_id());
      receipt.set_amount(transfer.amount());
      receipt.set_from_balance(after.from_balance);
      receipt.set_to_balance(after.to_balance);
      SetMicros(Int64At(inserted, 0, 1), *receipt.mutable_committed_at());
      co_return receipt;
    }
    if (committed.outcome == Reply::Outcome::kStatementError && !connection.broken()) {
      // Refused on a connection that still works, so not committed. 23505:
      // the request_id was committed meanwhile by a retry for other
      // accounts; the next attempt finds it.
      if ((committed.sqlstate == "23505" || IsRetryable(committed, connection)) &&
          attempt < kMaxAttempts) {
        continue;
      }
      co_return StepFailed(committed, cancellation);
    }
    co_return absl::UnavailableError(absl::StrCat(
        "lost PostgreSQL while committing transfer ", request_id,
        ", so whether it committed is unknown; retrying with the same request_id is safe: it "
        "either commits it or returns its receipt (",
        committed.error, ")"));
  }
}

coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> PostgresStore::ListTransfers(
    std::string account_id, uint64_t after_sequence, int max_count,
    const coro::Cancellation& cancellation) {
  absl::StatusOr<std::vector<Result>> results =
      co_await RunStep(ListStep(account_id, after_sequence, max_count), cancellation);
  if (!results.ok()) co_return results.status();
  if (PQntuples((*results)[0].get()) == 0) co_return UnknownAccountError(account_id);
  const PGresult* rows = (*results)[1].get();
  std::vector<v1::TransferReceipt> page;
  page.reserve(PQntuples(rows));
  for (int row = 0; row < PQntuples(rows); ++row) page.push_back(ReadReceipt(rows, row));
  co_return page;
}

}  // namespace ledger::postgres
