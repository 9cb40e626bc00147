// The LedgerStore contract (service/stores/store.h) as a test suite that any
// store must pass unchanged, run in-process with no server.
//
// A store's test instantiates the suite with factories that make a fresh
// StoreHarness per test:
//
//   INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance,
//                            ::testing::Values(StoreFactory{"Postgres", MakePostgresHarness}),
//                            StoreFactoryName);
//
// and links tests/service/stores/store_conformance.cc (the TEST_Ps) into its
// executable. The suite only looks at accounts and request ids it made itself
// (unique per test and per run), never assumes where sequences start or that
// they are contiguous, and never measures time: a store that keeps its data
// between tests, or is shared with other users, passes it too.
#pragma once

#include <google/protobuf/message.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "coro/completion_queue_threads.h"
#include "coro/task.h"
#include "service/stores/store.h"
#include "tests/support/transfer_request.h"

namespace ledger::conformance {

// A store under test and the way its callers run its calls.
class StoreHarness {
 public:
  virtual ~StoreHarness() = default;

  virtual LedgerStore& store() = 0;

  // Runs every task to its end, as concurrently as this store's callers run
  // (threads, or coroutines on completion-queue threads), and returns once
  // all have finished. The tasks must not throw. Tasks are lazy and start
  // only here, so whatever they refer to must outlive this call — the
  // Cancellation too, which store calls take by reference.
  virtual void RunAll(std::vector<coro::Task<void>> tasks) = 0;
};

struct StoreFactory {
  std::string name;  // the test-name suffix: letters, digits and '_'
  std::function<std::unique_ptr<StoreHarness>()> make;
};

// For INSTANTIATE_TEST_SUITE_P: names each instantiation after its factory.
std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info);
// So that a failure names the store, not the factory's bytes.
void PrintTo(const StoreFactory& factory, std::ostream* out);

// How a harness may run its tasks.
//
// Spreads the tasks over `threads` std::threads, each awaiting its share one
// after another with SyncWait: for stores that run or block on their
// caller's thread.
void RunOnThreads(std::vector<coro::Task<void>> tasks, int threads);
// Starts every task at once as a coroutine on `queues`' threads (round robin)
// and waits for all: for stores that await their I/O on a completion queue,
// so that many calls are suspended in the store at the same time.
void RunOnQueues(coro::CompletionQueueThreads& queues, std::vector<coro::Task<void>> tasks);
// Both modes at once, as ledger-server --mode=both runs them: the tasks
// alternate between coroutines on `queues` and `threads` blocked threads
// (`next` says which half the first goes to, and counts on), and the two
// halves run at the same time. For a ByCallingThread store.
void RunOnQueuesAndThreads(coro::CompletionQueueThreads& queues, int threads,
                           std::vector<coro::Task<void>> tasks, unsigned& next);

using ::ledger::testing::Request;

// The admin caller, who may debit every account; it outlives every call.
const Caller& AnyCaller();

// Equal messages, or a failure that prints both.
::testing::AssertionResult Same(const google::protobuf::Message& actual,
                                const google::protobuf::Message& expected);

// The suite: store_rules_conformance.cc (accounts, transfers, idempotency,
// cancellation), store_journal_conformance.cc (versions, sequences, paging)
// and store_concurrency_conformance.cc (the same under concurrent calls).
class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  LedgerStore& store() { return harness_->store(); }
  StoreHarness& harness() { return *harness_; }

  // `name`, made unique to this test and this run: usable as an account id
  // or a request id in a store that outlives the test.
  std::string Id(const std::string& name) const;

  // One store call (or any task), awaited the way the harness runs calls.
  template <typename T>
  T Await(coro::Task<T> task) {
    std::optional<T> result;
    std::vector<coro::Task<void>> tasks;
    tasks.push_back(AwaitInto(std::move(task), result));
    harness_->RunAll(std::move(tasks));
    return std::move(*result);
  }
  absl::StatusOr<v1::Account> Open(const std::string& id, int64_t initial_balance,
                                   const std::string& owner = "");
  absl::StatusOr<AccountRecord> Get(const std::string& id);
  absl::StatusOr<v1::TransferReceipt> Commit(const std::string& request_id,
                                             const std::string& from_id, const std::string& to_id,
                                             int64_t amount, const Caller& caller = AnyCaller());
  absl::StatusOr<std::vector<v1::TransferReceipt>> List(const std::string& account_id,
                                                        uint64_t after_sequence, int max_count);
  // The account's whole journal, read a few entries at a time.
  std::vector<v1::TransferReceipt> Journal(const std::string& account_id);

  // Passed to every call that is not about cancellation; it outlives them.
  const coro::Cancellation never_cancelled_;

 private:
  template <typename T>
  static coro::Task<void> AwaitInto(coro::Task<T> task, std::optional<T>& result) {
    result.emplace(co_await std::move(task));
  }

  std::unique_ptr<StoreHarness> harness_;
  std::string run_tag_;
};

}  // namespace ledger::conformance
