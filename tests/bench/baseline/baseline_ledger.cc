#include "tests/bench/baseline/baseline_ledger.h"

#include <chrono>
#include <limits>

namespace ledger::baseline {
namespace {

grpc::Status Invalid(const char* message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

// The same rule as the product's (1 to 64 of [A-Za-z0-9_.-]), written out here
// because the yardstick may share nothing with the server it measures.
bool ValidAccountId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

void SetAccount(const std::string& id, int64_t balance, uint64_t version, v1::Account* reply) {
  reply->set_id(id);
  reply->set_balance(balance);
  reply->set_version(version);
}

}  // namespace

grpc::Status BaselineLedger::OpenAccount(const v1::OpenAccountRequest& request,
                                         v1::Account* reply) {
  if (!ValidAccountId(request.id())) return Invalid("invalid account id");
  if (request.initial_balance() < 0) return Invalid("initial_balance must not be negative");
  std::lock_guard lock(mutex_);
  auto [account, inserted] =
      accounts_.try_emplace(request.id(), Balance{request.initial_balance()});
  if (!inserted) return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "account exists");
  SetAccount(request.id(), account->second.balance, account->second.version, reply);
  return grpc::Status::OK;
}

grpc::Status BaselineLedger::GetAccount(const v1::GetAccountRequest& request, v1::Account* reply) {
  if (!ValidAccountId(request.id())) return Invalid("invalid account id");
  std::lock_guard lock(mutex_);
  auto account = accounts_.find(request.id());
  if (account == accounts_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no account");
  SetAccount(request.id(), account->second.balance, account->second.version, reply);
  return grpc::Status::OK;
}

grpc::Status BaselineLedger::Transfer(const v1::TransferRequest& request,
                                      v1::TransferReceipt* reply) {
  if (request.request_id().empty() || request.request_id().size() > 128) {
    return Invalid("request_id must be 1 to 128 bytes");
  }
  if (!ValidAccountId(request.from_id()) || !ValidAccountId(request.to_id())) {
    return Invalid("invalid account id");
  }
  if (request.amount() <= 0) return Invalid("amount must be positive");
  if (request.from_id() == request.to_id()) return Invalid("from_id and to_id must differ");

  std::lock_guard lock(mutex_);
  if (auto earlier = receipts_.find(request.request_id()); earlier != receipts_.end()) {
    const v1::TransferReceipt& receipt = earlier->second;
    if (receipt.from_id() != request.from_id() || receipt.to_id() != request.to_id() ||
        receipt.amount() != request.amount()) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "request_id used for another transfer");
    }
    *reply = receipt;
    return grpc::Status::OK;
  }
  auto from = accounts_.find(request.from_id());
  auto to = accounts_.find(request.to_id());
  if (from == accounts_.end() || to == accounts_.end()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no account");
  }
  if (from->second.balance < request.amount() ||
      to->second.balance > std::numeric_limits<int64_t>::max() - request.amount()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "insufficient funds or overflow");
  }
  from->second.balance -= request.amount();
  to->second.balance += request.amount();
  ++from->second.version;
  ++to->second.version;

  reply->set_sequence(next_sequence_++);
  reply->set_request_id(request.request_id());
  reply->set_from_id(request.from_id());
  reply->set_to_id(request.to_id());
  reply->set_amount(request.amount());
  reply->set_from_balance(from->second.balance);
  reply->set_to_balance(to->second.balance);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
  reply->mutable_committed_at()->set_seconds(seconds.count());
  reply->mutable_committed_at()->set_nanos(static_cast<int32_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - seconds).count()));
  receipts_.emplace(request.request_id(), *reply);
  return grpc::Status::OK;
}

}  // namespace ledger::baseline
