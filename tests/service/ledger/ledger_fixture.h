// What the Ledger tests share: journal entries and requests made in one line,
// the two ends of a stream, and a fixture with a Ledger over a FakeStore,
// awaited with SyncWait (Audit's hashing on a ThreadPool).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coro/sync_wait.h"
#include "coro/thread_pool.h"
#include "service/ledger/ledger.h"
#include "tests/service/ledger/fake_store.h"
#include "tests/support/transfer_request.h"

namespace ledger::fake {

inline v1::TransferReceipt Entry(uint64_t sequence, const std::string& from_id,
                                 const std::string& to_id, int64_t amount) {
  v1::TransferReceipt entry;
  entry.set_sequence(sequence);
  entry.set_request_id(absl::StrCat("r", sequence));
  entry.set_from_id(from_id);
  entry.set_to_id(to_id);
  entry.set_amount(amount);
  return entry;
}

using ::ledger::testing::Request;

// Sparse sequences, as when other accounts' transfers come in between.

// The writing end of a server stream.
template <typename Message>
class Sink {
 public:
  // Accepts `accept` messages, then reports that nobody listens.
  explicit Sink(size_t accept = std::numeric_limits<size_t>::max()) : accept_(accept) {}
  coro::Task<bool> Write(const Message& message) {
    std::lock_guard lock(mutex_);
    if (written_.size() >= accept_) co_return false;
    written_.push_back(message);
    co_return true;
  }
  std::vector<Message> written() {
    std::lock_guard lock(mutex_);
    return written_;
  }

 private:
  std::mutex mutex_;
  const size_t accept_;
  std::vector<Message> written_;
};

// The reading end of a client stream: `requests`, then the end.
class RequestSource {
 public:
  explicit RequestSource(std::vector<v1::TransferRequest> requests)
      : requests_(std::move(requests)) {}
  coro::Task<bool> Read(v1::TransferRequest& request) {
    if (read_ == requests_.size()) co_return false;
    request = requests_[read_++];
    co_return true;
  }
  size_t read() const { return read_; }

 private:
  std::vector<v1::TransferRequest> requests_;
  size_t read_ = 0;
};

class LedgerTest : public ::testing::Test {
 protected:
  absl::Status List(const std::string& account_id, uint32_t limit,
                    Sink<v1::TransferReceipt>& sink) {
    v1::ListTransfersRequest request;
    request.set_account_id(account_id);
    request.set_limit(limit);
    auto write = [&sink](const v1::TransferReceipt& receipt) { return sink.Write(receipt); };
    return coro::SyncWait(
        ledger_.ListTransfers(Caller::Anyone(), request, write, coro::Cancellation()));
  }

  absl::StatusOr<v1::AuditReport> Audit(const std::string& account_id) {
    v1::AuditRequest request;
    request.set_account_id(account_id);
    return coro::SyncWait(ledger_.Audit(Caller::Anyone(), request, coro::Cancellation()));
  }

  FakeStore store_;
  coro::ThreadPool workers_{2};
  Ledger ledger_{store_, workers_};
};

}  // namespace ledger::fake
