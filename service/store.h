// LedgerStore: where accounts and committed transfers live. Every call is a
// coroutine, so a store that waits on I/O costs the caller a suspended frame,
// not a thread. Implementations decide commits with ledger_rules.h.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "coro/task.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger {

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  // The new account, version 1; ALREADY_EXISTS if the id is taken.
  virtual coro::Task<absl::StatusOr<v1::Account>> OpenAccount(std::string id,
                                                              int64_t initial_balance) = 0;

  // NOT_FOUND for an unknown id.
  virtual coro::Task<absl::StatusOr<v1::Account>> GetAccount(std::string id) = 0;

  // Commits a validated transfer atomically (both balances or neither), or
  // returns the receipt of the earlier commit of the same request_id
  // (CheckRetry). NOT_FOUND if an account is missing; FAILED_PRECONDITION as
  // ApplyTransfer decides.
  virtual coro::Task<absl::StatusOr<v1::TransferReceipt>> CommitTransfer(
      v1::TransferRequest transfer) = 0;
};

}  // namespace ledger
