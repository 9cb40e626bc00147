#include "service/ledger/ledger.h"

#include <algorithm>

#include "coro/task_group.h"
#include "service/ledger/audit_digest.h"
#include "service/ledger/ledger_rules.h"

namespace ledger {
namespace {

// In ImportTransfers, a request that breaks a rule counts as rejected and the
// stream goes on; any other failure (cancelled, deadline, shutdown, a store
// that cannot be reached) ends the stream. TransferStream instead answers
// every failure on the request it belongs to.
bool IsRuleViolation(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kPermissionDenied:
      return true;
    default:
      return false;
  }
}

// The account as read for `caller` to `action` it: the read's failure
// (NOT_FOUND...), or PERMISSION_DENIED unless the caller owns it or is admin.
// A plain function after the read, not a coroutine around it: that would be
// one more frame every waiting call holds.
absl::Status CheckOwned(const Caller& caller, const absl::StatusOr<AccountRecord>& record,
                        absl::string_view action) {
  if (!record.ok()) return record.status();
  return AuthorizeOwner(caller, record->account.id(), record->account.owner(), action);
}

}  // namespace

coro::Task<absl::StatusOr<v1::Account>> Ledger::OpenAccount(const Caller& caller,
                                                            const v1::OpenAccountRequest& request,
                                                            coro::Cancellation cancellation) {
  if (absl::Status invalid = ValidateOpenAccount(request); !invalid.ok()) co_return invalid;
  if (absl::Status denied = AuthorizeOpen(caller, request); !denied.ok()) co_return denied;
  co_return co_await store_.OpenAccount(request.id(), caller.principal, request.initial_balance(),
                                        cancellation);
}

coro::Task<absl::StatusOr<v1::Account>> Ledger::GetAccount(const Caller& caller,
                                                           const v1::GetAccountRequest& request,
                                                           coro::Cancellation cancellation) {
  if (absl::Status invalid = ValidateAccountId(request.id()); !invalid.ok()) co_return invalid;
  absl::StatusOr<AccountRecord> record = co_await store_.GetAccount(request.id(), cancellation);
  if (absl::Status denied = CheckOwned(caller, record, "read"); !denied.ok()) co_return denied;
  co_return std::move(record->account);
}

coro::Task<absl::StatusOr<v1::TransferReceipt>> Ledger::Transfer(const Caller& caller,
                                                                 const v1::TransferRequest& request,
                                                                 coro::Cancellation cancellation) {
  if (absl::Status invalid = ValidateTransfer(request); !invalid.ok()) co_return invalid;
  // One store call: the commit checks both accounts and who may debit the
  // payer under the same lock or transaction that moves the money, so a
  // transfer waits for its store once, not once per row it reads.
  co_return co_await store_.CommitTransfer(request, caller, cancellation);
}

coro::Task<absl::Status> Ledger::ListTransfers(const Caller& caller,
                                               const v1::ListTransfersRequest& request,
                                               WriteNext<v1::TransferReceipt> write,
                                               coro::Cancellation cancellation) {
  if (absl::Status invalid = ValidateAccountId(request.account_id()); !invalid.ok()) {
    co_return invalid;
  }
  // An admin may read every journal: no need to read the owner first.
  if (!caller.admin) {
    absl::StatusOr<AccountRecord> owned =
        co_await store_.GetAccount(request.account_id(), cancellation);
    if (absl::Status denied = CheckOwned(caller, owned, "read"); !denied.ok()) co_return denied;
  }
  const uint64_t limit = request.limit();  // 0: all
  uint64_t sent = 0;
  uint64_t after_sequence = 0;
  for (;;) {
    int wanted = kListTransfersPageSize;
    if (limit != 0) wanted = static_cast<int>(std::min<uint64_t>(wanted, limit - sent));
    absl::StatusOr<std::vector<v1::TransferReceipt>> page =
        co_await store_.ListTransfers(request.account_id(), after_sequence, wanted, cancellation);
    if (!page.ok()) co_return page.status();
    for (const v1::TransferReceipt& receipt : *page) {
      if (!co_await write(receipt)) co_return absl::CancelledError("the client stopped reading");
    }
    sent += page->size();
    if (static_cast<int>(page->size()) < wanted || (limit != 0 && sent >= limit)) break;
    after_sequence = page->back().sequence();
  }
  co_return absl::OkStatus();
}

coro::Task<absl::StatusOr<v1::ImportSummary>> Ledger::ImportTransfers(
    const Caller& caller, ReadNext<v1::TransferRequest> read, coro::Cancellation cancellation) {
  v1::ImportSummary summary;
  v1::TransferRequest request;
  while (co_await read(request)) {
    absl::StatusOr<v1::TransferReceipt> receipt = co_await Transfer(caller, request, cancellation);
    if (receipt.ok()) {
      summary.set_applied(summary.applied() + 1);
    } else if (IsRuleViolation(receipt.status())) {
      summary.set_rejected(summary.rejected() + 1);
    } else {
      co_return receipt.status();
    }
  }
  if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
  co_return summary;
}

coro::Task<void> Ledger::TransferAndReport(const Caller& caller, v1::TransferRequest request,
                                           WriteNext<v1::TransferResult> write,
                                           coro::Cancellation cancellation) {
  v1::TransferResult result;
  result.set_request_id(request.request_id());
  absl::StatusOr<v1::TransferReceipt> receipt = co_await Transfer(caller, request, cancellation);
  if (receipt.ok()) {
    *result.mutable_receipt() = *std::move(receipt);
  } else {
    result.set_code(static_cast<int32_t>(receipt.status().code()));
    result.set_message(std::string(receipt.status().message()));
  }
  co_await write(result);
}

coro::Task<absl::Status> Ledger::TransferStream(const Caller& caller,
                                                ReadNext<v1::TransferRequest> read,
                                                WriteNext<v1::TransferResult> write,
                                                coro::Cancellation cancellation) {
  coro::TaskGroup in_flight(kTransferStreamInFlight);
  v1::TransferRequest request;
  while (co_await read(request)) {
    co_await in_flight.Spawn(TransferAndReport(caller, request, write, cancellation));
  }
  co_await in_flight.Join();
  co_return cancellation.Check();
}

coro::Task<absl::StatusOr<v1::AuditReport>> Ledger::Audit(const Caller& caller,
                                                          const v1::AuditRequest& request,
                                                          coro::Cancellation cancellation) {
  if (absl::Status invalid = ValidateAccountId(request.account_id()); !invalid.ok()) {
    co_return invalid;
  }
  absl::StatusOr<AccountRecord> record =
      co_await store_.GetAccount(request.account_id(), cancellation);
  if (absl::Status denied = CheckOwned(caller, record, "read"); !denied.ok()) co_return denied;

  // The balance read reflects exactly version - 1 transfers, and the journal
  // lists them first (it is in commit order): reading that many gives a
  // snapshot that matches the balance, whatever commits meanwhile.
  const uint64_t reflected = record->account.version() - 1;
  std::vector<v1::TransferReceipt> entries;
  entries.reserve(reflected);
  while (entries.size() < reflected) {
    const int wanted =
        static_cast<int>(std::min<uint64_t>(kListTransfersPageSize, reflected - entries.size()));
    const uint64_t after_sequence = entries.empty() ? 0 : entries.back().sequence();
    absl::StatusOr<std::vector<v1::TransferReceipt>> page =
        co_await store_.ListTransfers(request.account_id(), after_sequence, wanted, cancellation);
    if (!page.ok()) co_return page.status();
    if (page->empty()) break;  // the journal lacks entries: reported as inconsistent
    std::move(page->begin(), page->end(), std::back_inserter(entries));
  }

  co_return co_await coro::Offload(workers_, [&] {
    v1::AuditReport report;
    report.set_account_id(request.account_id());
    report.set_entries(entries.size());
    report.set_balance(record->account.balance());
    report.set_digest(AuditDigest(request.account_id(), entries));
    // In 128 bits: the sums of many int64 amounts may overflow 64.
    __int128 expected = record->initial_balance;
    for (const v1::TransferReceipt& entry : entries) {
      if (entry.to_id() == request.account_id()) expected += entry.amount();
      if (entry.from_id() == request.account_id()) expected -= entry.amount();
    }
    report.set_consistent(entries.size() == reflected &&
                          expected == static_cast<__int128>(record->account.balance()));
    return report;
  });
}

}  // namespace ledger
