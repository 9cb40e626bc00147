// The store contract for the embedded store, called the ways the server calls
// it: MemoryStore on its own from several threads, and under SimulatedIoStore
// with real waits — coroutine mode's alarm on completion-queue threads, where
// many calls are suspended in the store at once, and thread mode's blocked
// threads.
#include <memory>

#include "absl/time/time.h"
#include "coro/completion_queue_threads.h"
#include "service/stores/io_wait.h"
#include "service/stores/memory_store.h"
#include "service/stores/simulated_io_store.h"
#include "tests/service/stores/store_conformance.h"

namespace ledger::conformance {
namespace {

// Long enough that calls overlap in the store, short enough that hundreds of
// them in sequence stay quick.
constexpr absl::Duration kLatency = absl::Milliseconds(1);

class MemoryStoreOnThreads final : public StoreHarness {
 public:
  LedgerStore& store() override { return store_; }
  void RunAll(std::vector<coro::Task<void>> tasks) override { RunOnThreads(std::move(tasks), 4); }

 private:
  MemoryStore store_;
};

class AwaitAlarmOnQueues final : public StoreHarness {
 public:
  AwaitAlarmOnQueues() { queues_.Start(); }
  LedgerStore& store() override { return store_; }
  void RunAll(std::vector<coro::Task<void>> tasks) override {
    RunOnQueues(queues_, std::move(tasks));
  }

 private:
  MemoryStore memory_;
  AwaitAlarm wait_;
  SimulatedIoStore store_{memory_, kLatency, wait_};
  coro::CompletionQueueThreads queues_{2};  // last: shut down before the store goes
};

class BlockThreadOnThreads final : public StoreHarness {
 public:
  LedgerStore& store() override { return store_; }
  void RunAll(std::vector<coro::Task<void>> tasks) override { RunOnThreads(std::move(tasks), 8); }

 private:
  MemoryStore memory_;
  BlockThread wait_;
  SimulatedIoStore store_{memory_, kLatency, wait_};
};

template <typename Harness>
std::unique_ptr<StoreHarness> Make() {
  return std::make_unique<Harness>();
}

INSTANTIATE_TEST_SUITE_P(
    EmbeddedStore, StoreConformance,
    ::testing::Values(StoreFactory{"MemoryStoreOnThreads", Make<MemoryStoreOnThreads>},
                      StoreFactory{"SimulatedIoAwaitAlarmOnQueues", Make<AwaitAlarmOnQueues>},
                      StoreFactory{"SimulatedIoBlockThreadOnThreads", Make<BlockThreadOnThreads>}),
    StoreFactoryName);

}  // namespace
}  // namespace ledger::conformance
