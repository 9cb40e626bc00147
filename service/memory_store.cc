#include "service/memory_store.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coro/alarm.h"
#include "coro/completion_queue_threads.h"
#include "service/ledger_rules.h"

namespace ledger {
namespace {

void SetTimestamp(absl::Time time, google::protobuf::Timestamp& timestamp) {
  const int64_t nanos = absl::ToUnixNanos(time);
  timestamp.set_seconds(nanos / 1'000'000'000);
  timestamp.set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

absl::Status UnknownAccount(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("account ", id, " not found"));
}

}  // namespace

coro::Task<void> MemoryStore::SimulateIo() const {
  if (latency_ <= absl::ZeroDuration()) co_return;
  if (grpc::CompletionQueue* queue = coro::CompletionQueueThreads::Current()) {
    co_await coro::Sleep(latency_, queue);
  } else {
    absl::SleepFor(latency_);
  }
}

coro::Task<absl::StatusOr<v1::Account>> MemoryStore::OpenAccount(std::string id,
                                                                 int64_t initial_balance) {
  co_await SimulateIo();
  absl::MutexLock lock(&mutex_);
  auto [slot, inserted] = accounts_.try_emplace(id);
  if (!inserted)
    co_return absl::AlreadyExistsError(absl::StrCat("account ", id, " already exists"));
  v1::Account& account = slot->second;
  account.set_id(std::move(id));
  account.set_balance(initial_balance);
  account.set_version(1);
  co_return account;
}

coro::Task<absl::StatusOr<v1::Account>> MemoryStore::GetAccount(std::string id) {
  co_await SimulateIo();
  absl::MutexLock lock(&mutex_);
  auto found = accounts_.find(id);
  if (found == accounts_.end()) co_return UnknownAccount(id);
  co_return found->second;
}

coro::Task<absl::StatusOr<v1::TransferReceipt>> MemoryStore::CommitTransfer(
    v1::TransferRequest transfer) {
  co_await SimulateIo();
  absl::MutexLock lock(&mutex_);
  if (auto committed = receipts_by_request_id_.find(transfer.request_id());
      committed != receipts_by_request_id_.end()) {
    if (absl::Status retry = CheckRetry(committed->second, transfer); !retry.ok()) co_return retry;
    co_return committed->second;
  }
  auto from = accounts_.find(transfer.from_id());
  if (from == accounts_.end()) co_return UnknownAccount(transfer.from_id());
  auto to = accounts_.find(transfer.to_id());
  if (to == accounts_.end()) co_return UnknownAccount(transfer.to_id());

  absl::StatusOr<BalancesAfter> after =
      ApplyTransfer(from->second.balance(), to->second.balance(), transfer.amount());
  if (!after.ok()) co_return after.status();

  from->second.set_balance(after->from_balance);
  from->second.set_version(from->second.version() + 1);
  to->second.set_balance(after->to_balance);
  to->second.set_version(to->second.version() + 1);

  v1::TransferReceipt& receipt = receipts_by_request_id_[transfer.request_id()];
  receipt.set_sequence(++last_sequence_);
  receipt.set_request_id(transfer.request_id());
  receipt.set_from_id(transfer.from_id());
  receipt.set_to_id(transfer.to_id());
  receipt.set_amount(transfer.amount());
  receipt.set_from_balance(after->from_balance);
  receipt.set_to_balance(after->to_balance);
  SetTimestamp(absl::Now(), *receipt.mutable_committed_at());
  co_return receipt;
}

}  // namespace ledger
