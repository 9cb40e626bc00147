// The accounts a run works on: opening them, and the sum of their balances,
// which transfers among them must leave unchanged. Both fan out many calls at
// once on the client thread and block the caller until all are done.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/load/channels.h"
#include "coro/completion_queue_threads.h"

namespace ledger::load {

// The money check after a run: transfers among the run's accounts move money
// but never create or destroy it, so their balances must add up to the same
// sum before and after, unless others may move money in and out of them too
// (--shared_accounts).
struct LedgerCheck {
  int accounts = 0;
  int64_t sum_before = 0;
  int64_t sum_after = 0;
  bool shared_accounts = false;
  // Why the sum after the run could not be read (e.g. the server went
  // away); empty when it was. The results are reported all the same.
  std::string error;

  bool checked() const { return error.empty(); }
  bool conserved() const { return checked() && sum_before == sum_after; }
  // What decides the exit code: a change counts only if nobody else may
  // move money; a check that could not be made fails.
  bool passed() const { return checked() && (shared_accounts || conserved()); }
};

// Opens every account with `initial_balance`. The first failure is returned
// with the account's id (ALREADY_EXISTS suggests --existing).
absl::Status OpenAccounts(Channels& channels, coro::CompletionQueueThreads& client,
                          const std::vector<std::string>& ids, int64_t initial_balance);

// What a run's accounts hold together, read one GetAccount each. Every
// committed transfer raises the version of both its accounts by one, so when
// the accounts only ever pay each other, half the versions they gained are
// the transfers committed among them, counted by the ledger itself.
struct AccountsTotal {
  int64_t balance = 0;
  int64_t transfers = 0;
};
// The first failure (NOT_FOUND for an account that does not exist) with its id.
absl::StatusOr<AccountsTotal> ReadTotal(Channels& channels, coro::CompletionQueueThreads& client,
                                        const std::vector<std::string>& ids);

// The sum of the balances of `ids`, as ReadTotal.
absl::StatusOr<int64_t> SumBalances(Channels& channels, coro::CompletionQueueThreads& client,
                                    const std::vector<std::string>& ids);

}  // namespace ledger::load
