#include "service/stores/memory_store.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "service/ledger/ledger_rules.h"
#include "service/stores/store_errors.h"

namespace ledger {
namespace {

void SetTimestamp(absl::Time time, google::protobuf::Timestamp& timestamp) {
  const int64_t nanos = absl::ToUnixNanos(time);
  timestamp.set_seconds(nanos / 1'000'000'000);
  timestamp.set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
}

}  // namespace

coro::Task<absl::StatusOr<v1::Account>> MemoryStore::OpenAccount(
    std::string id, std::string owner, int64_t initial_balance,
    const coro::Cancellation& cancellation) {
  if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
  std::lock_guard lock(mutex_);
  auto [slot, inserted] = accounts_.try_emplace(id);
  if (!inserted) {
    co_return AccountTakenError(id);
  }
  AccountRecord& record = slot->second.record;
  record.initial_balance = initial_balance;
  record.account.set_id(std::move(id));
  record.account.set_owner(std::move(owner));
  record.account.set_balance(initial_balance);
  record.account.set_version(1);
  co_return record.account;
}

coro::Task<absl::StatusOr<AccountRecord>> MemoryStore::GetAccount(
    std::string id, const coro::Cancellation& cancellation) {
  if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
  std::lock_guard lock(mutex_);
  auto found = accounts_.find(id);
  if (found == accounts_.end()) co_return UnknownAccountError(id);
  co_return found->second.record;
}

coro::Task<absl::StatusOr<v1::TransferReceipt>> MemoryStore::CommitTransfer(
    v1::TransferRequest transfer, const Caller& caller, const coro::Cancellation& cancellation) {
  if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
  // Nothing awaits from here on: the transfer commits whole or not at all.
  std::lock_guard lock(mutex_);
  auto from = accounts_.find(transfer.from_id());
  if (from == accounts_.end()) co_return UnknownAccountError(transfer.from_id());
  v1::Account& payer = from->second.record.account;
  if (absl::Status denied = AuthorizeOwner(caller, payer.id(), payer.owner(), "debit");
      !denied.ok()) {
    co_return denied;
  }
  auto to = accounts_.find(transfer.to_id());
  if (to == accounts_.end()) co_return UnknownAccountError(transfer.to_id());
  v1::Account& payee = to->second.record.account;
  if (auto committed = sequence_by_request_id_.find(transfer.request_id());
      committed != sequence_by_request_id_.end()) {
    const v1::TransferReceipt& receipt = journal_[committed->second - 1];
    if (absl::Status retry = CheckRetry(receipt, transfer); !retry.ok()) co_return retry;
    co_return receipt;
  }

  absl::StatusOr<BalancesAfter> after =
      ApplyTransfer(payer.balance(), payee.balance(), transfer.amount());
  if (!after.ok()) co_return after.status();

  const uint64_t sequence = journal_.size() + 1;
  payer.set_balance(after->from_balance);
  payer.set_version(payer.version() + 1);
  payee.set_balance(after->to_balance);
  payee.set_version(payee.version() + 1);
  from->second.sequences.push_back(sequence);
  to->second.sequences.push_back(sequence);
  sequence_by_request_id_.emplace(transfer.request_id(), sequence);

  v1::TransferReceipt& receipt = journal_.emplace_back();
  receipt.set_sequence(sequence);
  receipt.set_request_id(std::move(*transfer.mutable_request_id()));
  receipt.set_from_id(std::move(*transfer.mutable_from_id()));
  receipt.set_to_id(std::move(*transfer.mutable_to_id()));
  receipt.set_amount(transfer.amount());
  receipt.set_from_balance(after->from_balance);
  receipt.set_to_balance(after->to_balance);
  SetTimestamp(absl::Now(), *receipt.mutable_committed_at());
  co_return receipt;
}

coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> MemoryStore::ListTransfers(
    std::string account_id, uint64_t after_sequence, int max_count,
    const coro::Cancellation& cancellation) {
  if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
  std::lock_guard lock(mutex_);
  auto found = accounts_.find(account_id);
  if (found == accounts_.end()) co_return UnknownAccountError(account_id);
  const std::vector<uint64_t>& sequences = found->second.sequences;
  auto first = std::upper_bound(sequences.begin(), sequences.end(), after_sequence);
  const auto count = std::min<std::ptrdiff_t>(sequences.end() - first, std::max(max_count, 0));
  std::vector<v1::TransferReceipt> page;
  page.reserve(count);
  for (auto it = first; it != first + count; ++it) page.push_back(journal_[*it - 1]);
  co_return page;
}

}  // namespace ledger
