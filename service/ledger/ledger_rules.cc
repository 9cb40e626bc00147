#include "service/ledger/ledger_rules.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace ledger {
absl::Status ValidateAccountId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxAccountIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("account id must be 1 to ", kMaxAccountIdLength,
                                                   " characters, got ", id.size()));
  }
  for (char c : id) {
    if (!IsAccountIdCharacter(c)) {
      return absl::InvalidArgumentError(
          "account id may only contain letters, digits, '_', '.' and '-'");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateOpenAccount(const v1::OpenAccountRequest& request) {
  if (absl::Status status = ValidateAccountId(request.id()); !status.ok()) return status;
  if (request.initial_balance() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("initial_balance must be >= 0, got ", request.initial_balance()));
  }
  return absl::OkStatus();
}

absl::Status ValidateTransfer(const v1::TransferRequest& request) {
  if (request.request_id().empty() || request.request_id().size() > kMaxRequestIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("request_id must be 1 to ", kMaxRequestIdLength,
                                                   " characters, got ",
                                                   request.request_id().size()));
  }
  if (absl::Status status = ValidateAccountId(request.from_id()); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("from_id: ", status.message()));
  }
  if (absl::Status status = ValidateAccountId(request.to_id()); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("to_id: ", status.message()));
  }
  if (request.from_id() == request.to_id()) {
    return absl::InvalidArgumentError("from_id and to_id must differ");
  }
  if (request.amount() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("amount must be > 0, got ", request.amount()));
  }
  return absl::OkStatus();
}

absl::Status CheckRetry(const v1::TransferReceipt& committed, const v1::TransferRequest& request) {
  if (committed.from_id() == request.from_id() && committed.to_id() == request.to_id() &&
      committed.amount() == request.amount()) {
    return absl::OkStatus();
  }
  // The message names no field of the committed transfer: request ids are
  // shared by every caller, and that transfer may be another owner's.
  return absl::AlreadyExistsError(absl::StrCat("request_id ", request.request_id(),
                                               " was already used for a different transfer"));
}

absl::Status AuthorizeOpen(const Caller& caller, const v1::OpenAccountRequest& request) {
  if (request.initial_balance() > 0 && !caller.admin) {
    return absl::PermissionDeniedError(
        "only the admin role may open an account with initial_balance > 0: that creates money");
  }
  return absl::OkStatus();
}

absl::Status AuthorizeOwner(const Caller& caller, absl::string_view account_id,
                            absl::string_view owner, absl::string_view action) {
  if (caller.admin || (!owner.empty() && owner == caller.principal)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("only the account's owner or the admin role may ",
                                                  action, " account ", account_id));
}

absl::StatusOr<BalancesAfter> ApplyTransfer(int64_t from_balance, int64_t to_balance,
                                            int64_t amount) {
  if (from_balance < amount) {
    return absl::FailedPreconditionError(
        absl::StrCat("insufficient funds: balance ", from_balance, ", amount ", amount));
  }
  if (to_balance > std::numeric_limits<int64_t>::max() - amount) {
    return absl::FailedPreconditionError("the payee's balance would overflow");
  }
  return BalancesAfter{from_balance - amount, to_balance + amount};
}

}  // namespace ledger
