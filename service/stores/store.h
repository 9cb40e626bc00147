// LedgerStore: where accounts and committed transfers live. Every call is a
// coroutine, so a store that waits on I/O costs the caller a suspended frame,
// not a thread. Every call takes the caller's Cancellation and gives up
// (CANCELLED or DEADLINE_EXCEEDED) instead of starting work nobody waits for.
// Implementations decide commits with ledger_rules.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coro/cancellation.h"
#include "coro/task.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger {

struct AccountRecord {
  v1::Account account;
  int64_t initial_balance = 0;
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  // What kind of store it is, in logs and metrics: "memory".
  virtual absl::string_view name() const = 0;

  // The new account, version 1; ALREADY_EXISTS if the id is taken.
  virtual coro::Task<absl::StatusOr<v1::Account>> OpenAccount(
      std::string id, int64_t initial_balance, const coro::Cancellation& cancellation) = 0;

  // NOT_FOUND for an unknown id.
  virtual coro::Task<absl::StatusOr<AccountRecord>> GetAccount(
      std::string id, const coro::Cancellation& cancellation) = 0;

  // Commits a validated transfer atomically (both balances or neither), or
  // returns the receipt of the earlier commit of the same request_id
  // (CheckRetry). NOT_FOUND if an account is missing; FAILED_PRECONDITION as
  // ApplyTransfer decides. Once it has committed, it returns the receipt even
  // if the call was cancelled meanwhile.
  virtual coro::Task<absl::StatusOr<v1::TransferReceipt>> CommitTransfer(
      v1::TransferRequest transfer, const coro::Cancellation& cancellation) = 0;

  // One page of the account's journal: up to `max_count` committed transfers
  // in which it is payer or payee, with sequence > `after_sequence`, oldest
  // first. NOT_FOUND for an unknown account.
  virtual coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> ListTransfers(
      std::string account_id, uint64_t after_sequence, int max_count,
      const coro::Cancellation& cancellation) = 0;
};

}  // namespace ledger
