#include "tests/bench/baseline/store_ledger.h"

#include <string>
#include <utility>

#include "coro/cancellation.h"
#include "coro/sync_wait.h"
#include "service/ledger/ledger_rules.h"

namespace ledger::baseline {
namespace {

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// The store's answer into `reply`, or its failure.
template <typename Message>
grpc::Status Answer(absl::StatusOr<Message> result, Message* reply) {
  if (!result.ok()) return ToGrpc(result.status());
  *reply = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status StoreLedger::OpenAccount(const v1::OpenAccountRequest& request, v1::Account* reply) {
  if (absl::Status invalid = ValidateOpenAccount(request); !invalid.ok()) return ToGrpc(invalid);
  // No callers here: every account is opened for nobody, as ledger-server
  // opens them when it runs without authentication.
  return Answer(coro::SyncWait(store_.OpenAccount(request.id(), "", request.initial_balance(),
                                                  coro::Cancellation())),
                reply);
}

grpc::Status StoreLedger::GetAccount(const v1::GetAccountRequest& request, v1::Account* reply) {
  if (absl::Status invalid = ValidateAccountId(request.id()); !invalid.ok()) {
    return ToGrpc(invalid);
  }
  absl::StatusOr<AccountRecord> record =
      coro::SyncWait(store_.GetAccount(request.id(), coro::Cancellation()));
  if (!record.ok()) return ToGrpc(record.status());
  *reply = std::move(record->account);
  return grpc::Status::OK;
}

grpc::Status StoreLedger::Transfer(const v1::TransferRequest& request, v1::TransferReceipt* reply) {
  if (absl::Status invalid = ValidateTransfer(request); !invalid.ok()) return ToGrpc(invalid);
  return Answer(
      coro::SyncWait(store_.CommitTransfer(request, Caller::Anyone(), coro::Cancellation())),
      reply);
}

}  // namespace ledger::baseline
