// LedgerStore: where accounts and committed transfers live. Every call is a
// coroutine, so a store that waits on I/O costs the caller a suspended frame,
// not a thread.
//
// The contract below is what Ledger (and so every RPC) relies on. Any store —
// the embedded MemoryStore, its SimulatedIoStore/TimedStore decorators, or one
// over a database — gives all of it, and tests/service/stores/store_conformance.h
// checks all of it for each. It is stated in terms a transactional database
// can give: a commit is one transaction that locks both account rows.
//
// Requests reach a store already validated by ledger_rules.h (ids well formed,
// from_id != to_id, amount > 0, request_id of 1 to 128 characters); a store
// need not check them again. What it decides, it decides with ledger_rules.h
// and nothing else: AuthorizeOwner for who may debit the payer, ApplyTransfer
// for funds and overflow, CheckRetry for a request_id seen before.
//
// Atomicity. A transfer commits whole or not at all: both balances, both
// versions, its journal entry and its request_id become visible together, to
// every later call. A call that returns an error other than OK has changed
// nothing.
//
// Versions. An account starts at version 1; each committed transfer touching
// it (as payer or payee) adds exactly 1; nothing else changes it. A balance and
// its version are always read together, from the same committed state.
//
// Sequences. Each committed transfer gets a `sequence` that is unique in the
// store and > 0. Along one account's journal, sequences increase in the order
// the account's transfers committed, and a transfer whose commit starts after
// another one's returned has the larger sequence. That is what the proto and
// the README promise, and all Ledger needs. MemoryStore gives more (one order
// across the ledger, no gaps); PostgresStore gives exactly this: transfers
// committing concurrently on disjoint accounts may take their sequences in
// either order, and a rolled-back one leaves a gap.
//
// The journal matches the balance (what Audit relies on). For any account
// record read by GetAccount, the account's journal (ListTransfers) holds at
// least `version - 1` entries, and its first `version - 1` are exactly the
// transfers that balance reflects: initial_balance + credits − debits over
// them equals `balance`. So an entry is listable no later than its effect on
// the balance is readable, and no entry ever appears before one already
// listed.
//
// Conservation. Since every commit moves an amount from one balance to
// another, the sum of all balances changes only by OpenAccount, whatever
// number of transfers run concurrently.
//
// Cancellation. Every call takes the caller's Cancellation and, before it
// starts work, gives up with CANCELLED or DEADLINE_EXCEEDED (Check()) instead
// of starting work nobody waits for; it may also give up while it waits (for
// I/O, a lock, a connection). Giving up changes nothing. Once a transfer has
// committed, the call returns its receipt even if the call was cancelled
// meanwhile: CANCELLED or DEADLINE_EXCEEDED always means "not committed by
// this call" (a retry with the same request_id then commits it, or returns its
// receipt if another call committed it).
//
// Other failures. A store that cannot reach its data returns UNAVAILABLE, and
// INTERNAL for what should not happen. It retries its own transient conflicts
// (a serialization failure, a deadlock victim) rather than returning them:
// Ledger treats every code other than INVALID_ARGUMENT, NOT_FOUND,
// ALREADY_EXISTS and FAILED_PRECONDITION as the end of a streaming call.
//
// Concurrency. Every method may be called concurrently from any number of
// threads and coroutines; the guarantees above hold under any interleaving.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coro/cancellation.h"
#include "coro/task.h"
#include "ledger/v1/ledger.pb.h"
#include "service/ledger/caller.h"

namespace ledger {

// An account as stored: its current state and the balance it was opened with.
struct AccountRecord {
  v1::Account account;
  int64_t initial_balance = 0;
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  // What kind of store it is, in logs and metrics: "memory".
  virtual absl::string_view name() const = 0;

  // Opens `id` for `owner` with `initial_balance` (>= 0): the new account, at
  // version 1 with that balance and owner. ALREADY_EXISTS if the id is taken,
  // and the existing account is left as it was. The owner never changes.
  virtual coro::Task<absl::StatusOr<v1::Account>> OpenAccount(
      std::string id, std::string owner, int64_t initial_balance,
      const coro::Cancellation& cancellation) = 0;

  // The account's committed state (its owner included) and its initial
  // balance; NOT_FOUND for an unknown id. Balance and version come from the same committed state.
  virtual coro::Task<absl::StatusOr<AccountRecord>> GetAccount(
      std::string id, const coro::Cancellation& cancellation) = 0;

  // Commits a validated transfer made by `caller` atomically and returns its
  // receipt: a new sequence, the request's fields, both balances right after
  // it, and the time it committed. One call decides everything, the way one
  // transaction does, so a transfer costs the ledger one store call. In this
  // order:
  //  - NOT_FOUND if the payer (from_id) is missing.
  //  - PERMISSION_DENIED as AuthorizeOwner decides for `caller` to "debit" the
  //    payer: before anything else about the transfer is revealed, a retry's
  //    receipt included.
  //  - NOT_FOUND if the payee (to_id) is missing.
  //  - request_id already committed: CheckRetry decides. The same from_id,
  //    to_id and amount return the original receipt, unchanged, and move
  //    nothing (even if the payer could no longer cover it); other fields
  //    return ALREADY_EXISTS. This holds for concurrent calls with one
  //    request_id too: exactly one of them commits, and every other one
  //    returns that commit's receipt (or ALREADY_EXISTS if its fields differ).
  //  - FAILED_PRECONDITION as ApplyTransfer decides: the payer cannot cover
  //    the amount, or the payee's balance would overflow int64.
  // Only a commit claims its request_id: after any error, the same request may
  // be sent again and commit. Once it has committed, it returns the receipt
  // even if the call was cancelled meanwhile.
  virtual coro::Task<absl::StatusOr<v1::TransferReceipt>> CommitTransfer(
      v1::TransferRequest transfer, const Caller& caller,
      const coro::Cancellation& cancellation) = 0;

  // One page of the account's journal: the committed transfers in which it is
  // payer or payee and whose sequence is > `after_sequence`, oldest first (in
  // increasing sequence, which is the account's commit order), at most
  // `max_count` (>= 0) of them. Each entry equals the receipt its commit
  // returned, field for field: a store that keeps coarser timestamps returns
  // the stored committed_at from the commit too. Passing the last sequence of
  // one page as `after_sequence` gives the next page with nothing skipped or
  // repeated; an empty page is the end. `max_count` 0 gives an empty page.
  // NOT_FOUND for an unknown account.
  virtual coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> ListTransfers(
      std::string account_id, uint64_t after_sequence, int max_count,
      const coro::Cancellation& cancellation) = 0;
};

}  // namespace ledger
