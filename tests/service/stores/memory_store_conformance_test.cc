// The store contract for the embedded store, called the ways the server calls
// it: MemoryStore on its own from several threads; each mode's stack as
// main.cc builds it (TimedStore over SimulatedIoStore with real waits —
// coroutine mode's alarm on completion-queue threads, where many calls are
// suspended in the store at once, and thread mode's blocked threads); and both
// modes at once over one MemoryStore, as ledger-server --mode=both runs them.
#include <memory>

#include "absl/time/time.h"
#include "contract/serving_mode.h"
#include "coro/completion_queue_threads.h"
#include "service/metrics/striped_histogram.h"
#include "service/stores/io_wait.h"
#include "service/stores/memory_store.h"
#include "service/stores/simulated_io_store.h"
#include "service/stores/timed_store.h"
#include "tests/service/stores/by_calling_thread.h"
#include "tests/service/stores/store_conformance.h"

namespace ledger::conformance {
namespace {

// Long enough that calls overlap in the store, short enough that hundreds of
// them in sequence stay quick.
constexpr absl::Duration kLatency = absl::Milliseconds(1);
constexpr int kQueueThreads = 2;
constexpr int kPlainThreads = 4;
constexpr int kBlockedThreads = 8;  // they mostly wait, so more than the cores

class MemoryStoreOnThreads final : public StoreHarness {
 public:
  LedgerStore& store() override { return store_; }
  void RunAll(std::vector<coro::Task<void>> tasks) override {
    RunOnThreads(std::move(tasks), kPlainThreads);
  }

 private:
  MemoryStore store_;
};

// One mode's stores over a MemoryStore owned elsewhere, as in main.cc.
class ModeStack {
 public:
  ModeStack(LedgerStore& memory, IoWait& wait, ServingMode mode)
      : io_(memory, kLatency, wait), timed_(io_, mode, seconds_) {}
  LedgerStore& store() { return timed_; }

 private:
  metrics::HistogramFamily seconds_{"ledger_store_operation_seconds", "store calls"};
  SimulatedIoStore io_;
  TimedStore timed_;
};

class CoroutineMode final : public StoreHarness {
 public:
  CoroutineMode() { queues_.Start(); }
  LedgerStore& store() override { return stack_.store(); }
  void RunAll(std::vector<coro::Task<void>> tasks) override {
    RunOnQueues(queues_, std::move(tasks));
  }

 private:
  MemoryStore memory_;
  AwaitAlarm wait_;
  ModeStack stack_{memory_, wait_, ServingMode::kCoroutine};
  coro::CompletionQueueThreads queues_{kQueueThreads};  // last: stops before the stores go
};

class ThreadMode final : public StoreHarness {
 public:
  LedgerStore& store() override { return stack_.store(); }
  void RunAll(std::vector<coro::Task<void>> tasks) override {
    RunOnThreads(std::move(tasks), kBlockedThreads);
  }

 private:
  MemoryStore memory_;
  BlockThread wait_;
  ModeStack stack_{memory_, wait_, ServingMode::kThread};
};

// Both modes over one MemoryStore: the tasks alternate between coroutines on
// the queues and blocked threads, and the two halves run at the same time.
class BothModes final : public StoreHarness {
 public:
  BothModes() { queues_.Start(); }
  LedgerStore& store() override { return by_calling_thread_; }
  void RunAll(std::vector<coro::Task<void>> tasks) override {
    RunOnQueuesAndThreads(queues_, kBlockedThreads, std::move(tasks), next_);
  }

 private:
  MemoryStore memory_;
  AwaitAlarm await_alarm_;
  BlockThread block_thread_;
  ModeStack coroutine_{memory_, await_alarm_, ServingMode::kCoroutine};
  ModeStack thread_{memory_, block_thread_, ServingMode::kThread};
  ByCallingThread by_calling_thread_{coroutine_.store(), thread_.store()};
  unsigned next_ = 0;  // one call at a time goes to either mode in turn
  coro::CompletionQueueThreads queues_{kQueueThreads};
};

template <typename Harness>
std::unique_ptr<StoreHarness> Make() {
  return std::make_unique<Harness>();
}

INSTANTIATE_TEST_SUITE_P(EmbeddedStore, StoreConformance,
                         ::testing::Values(StoreFactory{"MemoryStoreOnThreads",
                                                        Make<MemoryStoreOnThreads>},
                                           StoreFactory{"CoroutineMode", Make<CoroutineMode>},
                                           StoreFactory{"ThreadMode", Make<ThreadMode>},
                                           StoreFactory{"BothModes", Make<BothModes>}),
                         StoreFactoryName);

}  // namespace
}  // namespace ledger::conformance
