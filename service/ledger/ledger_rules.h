// The ledger's rules, stated once. Both ways of serving (coroutine and
// thread-per-request) and every store apply exactly these functions: the
// handlers validate requests with them, and stores decide a commit with them
// while they hold their lock or transaction.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "contract/account_id.h"
#include "ledger/v1/ledger.pb.h"
#include "service/ledger/caller.h"

namespace ledger {

inline constexpr std::size_t kMaxRequestIdLength = 128;

// OK when IsValidAccountId (contract/account_id.h), else INVALID_ARGUMENT
// saying what is wrong.
absl::Status ValidateAccountId(absl::string_view id);

// A valid id and initial_balance >= 0, else INVALID_ARGUMENT.
absl::Status ValidateOpenAccount(const v1::OpenAccountRequest& request);

// request_id of 1 to 128 characters, valid distinct account ids and a
// positive amount, else INVALID_ARGUMENT.
absl::Status ValidateTransfer(const v1::TransferRequest& request);

// A retry of a committed transfer: OK when `request` repeats what `committed`
// recorded (the caller answers with `committed` and moves nothing), and
// ALREADY_EXISTS when it reuses the request_id for a different transfer.
absl::Status CheckRetry(const v1::TransferReceipt& committed, const v1::TransferRequest& request);

// Who may do what. The admin role may do everything. Anyone may open an
// account, and owns what it opens; only admin may open one with money in it,
// since that creates money. Only an account's owner may debit it (be a
// transfer's from_id) or read it (GetAccount, ListTransfers, Audit); any
// account may be credited. Refusals are PERMISSION_DENIED.
absl::Status AuthorizeOpen(const Caller& caller, const v1::OpenAccountRequest& request);
// Whether `caller` may `action` ("debit", "read": for the message) the
// account `account_id`, which belongs to `owner`.
absl::Status AuthorizeOwner(const Caller& caller, absl::string_view account_id,
                            absl::string_view owner, absl::string_view action);

struct BalancesAfter {
  int64_t from_balance;
  int64_t to_balance;
};

// The balances after moving `amount` (> 0): FAILED_PRECONDITION when the payer
// cannot cover it or the payee's balance would overflow int64.
absl::StatusOr<BalancesAfter> ApplyTransfer(int64_t from_balance, int64_t to_balance,
                                            int64_t amount);

}  // namespace ledger
