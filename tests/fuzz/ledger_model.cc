#include "tests/fuzz/ledger_model.h"

#include <limits>

namespace ledger::fuzz {

using absl::StatusCode;

bool LedgerModel::IsValidAccountId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (unsigned char c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

bool LedgerModel::IsValidRequestId(std::string_view request_id) {
  return !request_id.empty() && request_id.size() <= 128;
}

bool LedgerModel::MayDebitOrRead(const Caller& caller, const ModelAccount& account) {
  // An account opened without authentication belongs to nobody: only admin.
  return caller.admin || (!account.owner.empty() && account.owner == caller.principal);
}

const ModelAccount* LedgerModel::Find(const std::string& id) const {
  auto found = accounts_.find(id);
  return found == accounts_.end() ? nullptr : &found->second;
}

Expectation LedgerModel::ExpectOpen(const Caller& caller,
                                    const v1::OpenAccountRequest& request) const {
  Expectation expected;
  if (!IsValidAccountId(request.id()) || request.initial_balance() < 0) {
    expected.refusals.insert(StatusCode::kInvalidArgument);
  }
  if (request.initial_balance() > 0 && !caller.admin) {
    expected.refusals.insert(StatusCode::kPermissionDenied);
  }
  if (Find(request.id()) != nullptr) expected.refusals.insert(StatusCode::kAlreadyExists);
  return expected;
}

Expectation LedgerModel::ExpectRead(const Caller& caller, const std::string& id) const {
  Expectation expected;
  const ModelAccount* account = Find(id);
  if (!IsValidAccountId(id)) {
    expected.refusals.insert(StatusCode::kInvalidArgument);
  } else if (account == nullptr) {
    expected.refusals.insert(StatusCode::kNotFound);
  } else if (!MayDebitOrRead(caller, *account)) {
    expected.refusals.insert(StatusCode::kPermissionDenied);
  }
  return expected;
}

Expectation LedgerModel::ExpectTransfer(const Caller& caller,
                                        const v1::TransferRequest& request) const {
  Expectation expected;
  if (!IsValidRequestId(request.request_id()) || !IsValidAccountId(request.from_id()) ||
      !IsValidAccountId(request.to_id()) || request.from_id() == request.to_id() ||
      request.amount() <= 0) {
    expected.refusals.insert(StatusCode::kInvalidArgument);
  }
  const ModelAccount* from = Find(request.from_id());
  const ModelAccount* to = Find(request.to_id());
  if (from == nullptr || to == nullptr) expected.refusals.insert(StatusCode::kNotFound);
  if (from != nullptr && !MayDebitOrRead(caller, *from)) {
    expected.refusals.insert(StatusCode::kPermissionDenied);
  }
  // A request_id already committed decides before the balances do: the same
  // transfer returns its receipt (even if the payer could no longer cover
  // it), another one is refused.
  if (auto committed = sequence_by_request_id_.find(request.request_id());
      committed != sequence_by_request_id_.end()) {
    const v1::TransferReceipt& original = journal_[committed->second - 1];
    if (original.from_id() == request.from_id() && original.to_id() == request.to_id() &&
        original.amount() == request.amount()) {
      expected.retry_of = committed->second;
    } else {
      expected.refusals.insert(StatusCode::kAlreadyExists);
    }
  } else if (from != nullptr && to != nullptr && request.amount() > 0) {
    const __int128 from_after = static_cast<__int128>(from->balance) - request.amount();
    const __int128 to_after = static_cast<__int128>(to->balance) + request.amount();
    if (from_after < 0 || to_after > std::numeric_limits<int64_t>::max()) {
      expected.refusals.insert(StatusCode::kFailedPrecondition);
    }
  }
  return expected;
}

void LedgerModel::Open(const Caller& caller, const v1::OpenAccountRequest& request) {
  ModelAccount& account = accounts_[request.id()];
  account.owner = caller.principal;
  account.initial_balance = request.initial_balance();
  account.balance = request.initial_balance();
  minted_ += request.initial_balance();
}

v1::TransferReceipt& LedgerModel::Commit(const v1::TransferRequest& request) {
  ModelAccount& from = accounts_.at(request.from_id());
  ModelAccount& to = accounts_.at(request.to_id());
  const uint64_t sequence = journal_.size() + 1;
  from.balance -= request.amount();
  to.balance += request.amount();
  from.journal.push_back(sequence);
  to.journal.push_back(sequence);
  sequence_by_request_id_[request.request_id()] = sequence;
  v1::TransferReceipt& receipt = journal_.emplace_back();
  receipt.set_sequence(sequence);
  receipt.set_request_id(request.request_id());
  receipt.set_from_id(request.from_id());
  receipt.set_to_id(request.to_id());
  receipt.set_amount(request.amount());
  receipt.set_from_balance(from.balance);
  receipt.set_to_balance(to.balance);
  return receipt;
}

}  // namespace ledger::fuzz
