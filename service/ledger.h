// Ledger: what each RPC does, written once as sequential coroutines over a
// LedgerStore. The coroutine server awaits these on completion-queue threads;
// the thread-per-request server runs the very same code with SyncWait.
//
// Requests are taken by reference: the caller keeps them alive until the
// returned task has been awaited (a call handler always does).
#pragma once

#include "absl/status/statusor.h"
#include "coro/task.h"
#include "ledger/v1/ledger.pb.h"
#include "service/store.h"

namespace ledger {

class Ledger {
 public:
  explicit Ledger(LedgerStore& store) : store_(store) {}

  coro::Task<absl::StatusOr<v1::Account>> OpenAccount(const v1::OpenAccountRequest& request);
  coro::Task<absl::StatusOr<v1::Account>> GetAccount(const v1::GetAccountRequest& request);
  coro::Task<absl::StatusOr<v1::TransferReceipt>> Transfer(const v1::TransferRequest& request);

 private:
  LedgerStore& store_;
};

}  // namespace ledger
