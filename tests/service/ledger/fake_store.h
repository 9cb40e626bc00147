// FakeStore: a LedgerStore whose accounts, journals and commit failures each
// test sets, for testing Ledger on its own.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "service/ledger/ledger_rules.h"
#include "service/stores/store.h"

namespace ledger::fake {

// A store that answers what the test set: GetAccount the records, ListTransfers
// the journals (as given, paged by after_sequence and max_count), and
// CommitTransfer a receipt unless a failure was set for its request_id. It
// never suspends, and it honours the Cancellation like a real store.
class FakeStore final : public LedgerStore {
 public:
  absl::string_view name() const override { return "fake"; }

  void SetAccount(const std::string& id, int64_t initial_balance, int64_t balance,
                  uint64_t version) {
    AccountRecord& record = accounts_[id];
    record.account.set_id(id);
    record.account.set_balance(balance);
    record.account.set_version(version);
    record.initial_balance = initial_balance;
  }
  // Appends to `account_id`'s journal; sequences must ascend.
  void AddEntry(const std::string& account_id, v1::TransferReceipt entry) {
    journals_[account_id].push_back(std::move(entry));
  }
  void FailCommit(const std::string& request_id, absl::Status status) {
    commit_failures_[request_id] = std::move(status);
  }

  struct ListCall {
    uint64_t after_sequence;
    int max_count;
    bool operator==(const ListCall&) const = default;
  };
  std::vector<ListCall> list_calls() {
    std::lock_guard lock(mutex_);
    return list_calls_;
  }
  std::vector<std::string> committed() {
    std::lock_guard lock(mutex_);
    return committed_;
  }
  int commit_calls() {
    std::lock_guard lock(mutex_);
    return commit_calls_;
  }

  coro::Task<absl::StatusOr<v1::Account>> OpenAccount(
      std::string id, std::string owner, int64_t initial_balance,
      const coro::Cancellation& cancellation) override {
    if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
    std::lock_guard lock(mutex_);
    if (accounts_.contains(id)) co_return absl::AlreadyExistsError(id);
    SetAccount(id, initial_balance, initial_balance, 1);
    accounts_[id].account.set_owner(std::move(owner));
    co_return accounts_[id].account;
  }

  coro::Task<absl::StatusOr<AccountRecord>> GetAccount(
      std::string id, const coro::Cancellation& cancellation) override {
    if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
    std::lock_guard lock(mutex_);
    auto found = accounts_.find(id);
    if (found == accounts_.end()) co_return absl::NotFoundError(id);
    co_return found->second;
  }

  coro::Task<absl::StatusOr<v1::TransferReceipt>> CommitTransfer(
      v1::TransferRequest transfer, const Caller& caller,
      const coro::Cancellation& cancellation) override {
    if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
    std::lock_guard lock(mutex_);
    ++commit_calls_;
    if (auto failure = commit_failures_.find(transfer.request_id());
        failure != commit_failures_.end()) {
      co_return failure->second;
    }
    auto payer = accounts_.find(transfer.from_id());
    if (payer == accounts_.end() || !accounts_.contains(transfer.to_id())) {
      co_return absl::NotFoundError("unknown account");
    }
    if (absl::Status denied =
            AuthorizeOwner(caller, transfer.from_id(), payer->second.account.owner(), "debit");
        !denied.ok()) {
      co_return denied;
    }
    v1::TransferReceipt receipt;
    receipt.set_sequence(++last_sequence_);
    receipt.set_request_id(transfer.request_id());
    receipt.set_from_id(transfer.from_id());
    receipt.set_to_id(transfer.to_id());
    receipt.set_amount(transfer.amount());
    committed_.push_back(transfer.request_id());
    co_return receipt;
  }

  coro::Task<absl::StatusOr<std::vector<v1::TransferReceipt>>> ListTransfers(
      std::string account_id, uint64_t after_sequence, int max_count,
      const coro::Cancellation& cancellation) override {
    if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
    std::lock_guard lock(mutex_);
    list_calls_.push_back({after_sequence, max_count});
    if (!accounts_.contains(account_id)) co_return absl::NotFoundError(account_id);
    std::vector<v1::TransferReceipt> page;
    for (const v1::TransferReceipt& entry : journals_[account_id]) {
      if (static_cast<int>(page.size()) >= max_count) break;
      if (entry.sequence() > after_sequence) page.push_back(entry);
    }
    co_return page;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, AccountRecord> accounts_;
  std::map<std::string, std::vector<v1::TransferReceipt>> journals_;
  std::map<std::string, absl::Status> commit_failures_;
  std::vector<ListCall> list_calls_;
  std::vector<std::string> committed_;
  int commit_calls_ = 0;
  uint64_t last_sequence_ = 0;
};

}  // namespace ledger::fake
