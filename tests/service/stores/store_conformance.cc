// What the conformance suite stands on: the ways a harness runs its tasks,
// and the fixture's calls. The tests are in store_*_conformance.cc.
#include "tests/service/stores/store_conformance.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "coro/alarm.h"
#include "coro/detached.h"
#include "coro/sync_wait.h"

namespace ledger::conformance {

std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

void RunOnThreads(std::vector<coro::Task<void>> tasks, int threads) {
  if (tasks.size() == 1) {
    coro::SyncWait(std::move(tasks.front()));
    return;
  }
  const size_t stride = std::min<size_t>(std::max(threads, 1), tasks.size());
  std::vector<std::thread> running;
  for (size_t first = 0; first < stride; ++first) {
    running.emplace_back([&tasks, first, stride] {
      for (size_t i = first; i < tasks.size(); i += stride) coro::SyncWait(std::move(tasks[i]));
    });
  }
  for (std::thread& thread : running) thread.join();
}

namespace {

// Counts finished tasks down to zero; the notify happens under the lock, so
// the waiter may destroy it as soon as Wait() returns.
class Countdown {
 public:
  explicit Countdown(size_t count) : left_(count) {}
  void CountDown() {
    std::lock_guard lock(mutex_);
    if (--left_ == 0) finished_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [this] { return left_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable finished_;
  size_t left_;
};

coro::Detached RunOnQueue(grpc::CompletionQueue* queue, coro::CompletionQueueThreads::KeepAlive,
                          coro::Task<void> task, Countdown& done) {
  co_await coro::ResumeOn(queue);
  co_await std::move(task);
  done.CountDown();
}

}  // namespace

void RunOnQueues(coro::CompletionQueueThreads& queues, std::vector<coro::Task<void>> tasks) {
  Countdown done(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    RunOnQueue(queues.queue(static_cast<int>(i % queues.size())), queues.keep_alive(),
               std::move(tasks[i]), done);
  }
  done.Wait();
}

void RunOnQueuesAndThreads(coro::CompletionQueueThreads& queues, int threads,
                           std::vector<coro::Task<void>> tasks, unsigned& next) {
  std::vector<coro::Task<void>> on_queues;
  std::vector<coro::Task<void>> on_threads;
  for (coro::Task<void>& task : tasks) {
    (next++ % 2 ? on_threads : on_queues).push_back(std::move(task));
  }
  std::thread blocked([&on_threads, threads] { RunOnThreads(std::move(on_threads), threads); });
  RunOnQueues(queues, std::move(on_queues));
  blocked.join();
}

namespace {
using ::google::protobuf::util::MessageDifferencer;
}  // namespace

void PrintTo(const StoreFactory& factory, std::ostream* out) { *out << factory.name; }

::testing::AssertionResult Same(const google::protobuf::Message& actual,
                                const google::protobuf::Message& expected) {
  if (MessageDifferencer::Equals(actual, expected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "{" << actual.ShortDebugString() << "}\n  differs from {"
                                       << expected.ShortDebugString() << "}";
}

const Caller& AnyCaller() {
  static const Caller* const admin = new Caller(Caller::Anyone());
  return *admin;
}

void StoreConformance::SetUp() {
  harness_ = GetParam().make();
  ASSERT_NE(harness_, nullptr);
  std::random_device random;
  run_tag_ = absl::StrCat(absl::Hex(random(), absl::kZeroPad8), absl::Hex(random()));
}

void StoreConformance::TearDown() { harness_.reset(); }

std::string StoreConformance::Id(const std::string& name) const {
  return absl::StrCat(name, "-", run_tag_);
}

absl::StatusOr<v1::Account> StoreConformance::Open(const std::string& id, int64_t initial_balance,
                                                   const std::string& owner) {
  return Await(store().OpenAccount(id, owner, initial_balance, never_cancelled_));
}

absl::StatusOr<AccountRecord> StoreConformance::Get(const std::string& id) {
  return Await(store().GetAccount(id, never_cancelled_));
}

absl::StatusOr<v1::TransferReceipt> StoreConformance::Commit(const std::string& request_id,
                                                             const std::string& from_id,
                                                             const std::string& to_id,
                                                             int64_t amount, const Caller& caller) {
  return Await(store().CommitTransfer(Request(request_id, from_id, to_id, amount), caller,
                                      never_cancelled_));
}

absl::StatusOr<std::vector<v1::TransferReceipt>> StoreConformance::List(
    const std::string& account_id, uint64_t after_sequence, int max_count) {
  return Await(store().ListTransfers(account_id, after_sequence, max_count, never_cancelled_));
}

std::vector<v1::TransferReceipt> StoreConformance::Journal(const std::string& account_id) {
  constexpr int kPage = 7;
  std::vector<v1::TransferReceipt> journal;
  for (;;) {
    const uint64_t after = journal.empty() ? 0 : journal.back().sequence();
    absl::StatusOr<std::vector<v1::TransferReceipt>> page = List(account_id, after, kPage);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return journal;
    EXPECT_LE(page->size(), static_cast<size_t>(kPage));
    journal.insert(journal.end(), page->begin(), page->end());
    if (page->size() < kPage) return journal;
  }
}

}  // namespace ledger::conformance
