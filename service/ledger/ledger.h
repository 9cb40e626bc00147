// Ledger: what each RPC does, written once as sequential coroutines over a
// LedgerStore. The coroutine server awaits these on completion-queue threads;
// a thread-per-request server can run the very same code with SyncWait.
//
// Streams are reached through small callables, so the ledger does not care
// how messages travel: `read(request)` yields false at the end of the input,
// `write(message)` false once nobody listens. A read that fails because the
// call died (cancelled, not half-closed) has stopped the call's Cancellation
// by the time it yields false, so the stream ends CANCELLED, not OK. Requests and callables are
// taken by reference: the caller keeps them alive until the task is awaited.
// The Cancellation is taken by value, since callers pass a temporary.
// Every call is made by a Caller (by reference too), whom the ownership rules
// of ledger_rules.h allow or refuse, the same way for every RPC and mode.
// Every store call gets the call's Cancellation, so a cancelled call or one
// past its deadline stops at its next await, with nothing half-applied.
#pragma once

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "coro/cancellation.h"
#include "coro/task.h"
#include "coro/thread_pool.h"
#include "ledger/v1/ledger.pb.h"
#include "service/ledger/caller.h"
#include "service/stores/store.h"

namespace ledger {

inline constexpr int kListTransfersPageSize = 256;
inline constexpr int kTransferStreamInFlight = 64;

template <typename Message>
using ReadNext = absl::FunctionRef<coro::Task<bool>(Message&)>;
template <typename Message>
using WriteNext = absl::FunctionRef<coro::Task<bool>(const Message&)>;

class Ledger {
 public:
  // `workers` runs Audit's hashing, away from the I/O threads.
  Ledger(LedgerStore& store, coro::ThreadPool& workers) : store_(store), workers_(workers) {}

  coro::Task<absl::StatusOr<v1::Account>> OpenAccount(const Caller& caller,
                                                      const v1::OpenAccountRequest& request,
                                                      coro::Cancellation cancellation);
  coro::Task<absl::StatusOr<v1::Account>> GetAccount(const Caller& caller,
                                                     const v1::GetAccountRequest& request,
                                                     coro::Cancellation cancellation);
  coro::Task<absl::StatusOr<v1::TransferReceipt>> Transfer(const Caller& caller,
                                                           const v1::TransferRequest& request,
                                                           coro::Cancellation cancellation);

  // Writes every committed transfer touching the account, oldest first, at
  // most `limit` (0: all), reading the store a page at a time.
  coro::Task<absl::Status> ListTransfers(const Caller& caller,
                                         const v1::ListTransfersRequest& request,
                                         WriteNext<v1::TransferReceipt> write,
                                         coro::Cancellation cancellation);

  // Applies each request in arrival order with the Transfer rules.
  coro::Task<absl::StatusOr<v1::ImportSummary>> ImportTransfers(const Caller& caller,
                                                                ReadNext<v1::TransferRequest> read,
                                                                coro::Cancellation cancellation);

  // One result per request, up to kTransferStreamInFlight at once, in
  // completion order. `write` may be called by several transfers at once.
  // Only transfers that suspend overlap: under SyncWait with a blocking
  // store (thread mode) each runs to its end before the next is read, so
  // results come in request order.
  coro::Task<absl::Status> TransferStream(const Caller& caller, ReadNext<v1::TransferRequest> read,
                                          WriteNext<v1::TransferResult> write,
                                          coro::Cancellation cancellation);

  coro::Task<absl::StatusOr<v1::AuditReport>> Audit(const Caller& caller,
                                                    const v1::AuditRequest& request,
                                                    coro::Cancellation cancellation);

 private:
  coro::Task<void> TransferAndReport(const Caller& caller, v1::TransferRequest request,
                                     WriteNext<v1::TransferResult> write,
                                     coro::Cancellation cancellation);

  LedgerStore& store_;
  coro::ThreadPool& workers_;
};

}  // namespace ledger
