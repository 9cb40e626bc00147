#include "service/ledger.h"

#include "service/ledger_rules.h"

namespace ledger {

coro::Task<absl::StatusOr<v1::Account>> Ledger::OpenAccount(const v1::OpenAccountRequest& request) {
  if (absl::Status invalid = ValidateOpenAccount(request); !invalid.ok()) co_return invalid;
  co_return co_await store_.OpenAccount(request.id(), request.initial_balance());
}

coro::Task<absl::StatusOr<v1::Account>> Ledger::GetAccount(const v1::GetAccountRequest& request) {
  if (absl::Status invalid = ValidateAccountId(request.id()); !invalid.ok()) co_return invalid;
  co_return co_await store_.GetAccount(request.id());
}

coro::Task<absl::StatusOr<v1::TransferReceipt>> Ledger::Transfer(
    const v1::TransferRequest& request) {
  if (absl::Status invalid = ValidateTransfer(request); !invalid.ok()) co_return invalid;
  // Three awaited store calls, the way a service reads both rows before it
  // writes. The reads answer NOT_FOUND early; the commit decides the rest
  // atomically, because balances may change between the reads and the write.
  absl::StatusOr<v1::Account> from = co_await store_.GetAccount(request.from_id());
  if (!from.ok()) co_return from.status();
  absl::StatusOr<v1::Account> to = co_await store_.GetAccount(request.to_id());
  if (!to.ok()) co_return to.status();
  co_return co_await store_.CommitTransfer(request);
}

}  // namespace ledger
