#include "coro/completion_queue_threads.h"

#include <grpc/support/time.h>

#include <cassert>

#include "coro/operation.h"
#include "coro/queue_timers.h"

namespace coro {
namespace {
thread_local grpc::CompletionQueue* current_queue = nullptr;
}  // namespace

CompletionQueueThreads::CompletionQueueThreads(int count) {
  assert(count > 0);
  for (int i = 0; i < count; ++i) queues_.push_back(std::make_unique<grpc::CompletionQueue>());
}

CompletionQueueThreads::CompletionQueueThreads(grpc::ServerBuilder& builder, int count)
    : server_queues_(true) {
  assert(count > 0);
  for (int i = 0; i < count; ++i) queues_.push_back(builder.AddCompletionQueue());
}

CompletionQueueThreads::~CompletionQueueThreads() { Shutdown(); }

grpc::ServerCompletionQueue* CompletionQueueThreads::server_queue(int index) const {
  assert(server_queues_);
  return static_cast<grpc::ServerCompletionQueue*>(queues_[index].get());
}

grpc::CompletionQueue* CompletionQueueThreads::Current() { return current_queue; }

void CompletionQueueThreads::Start() {
  assert(threads_.empty());
  for (int i = 0; i < size(); ++i) threads_.emplace_back([this, i] { Poll(i); });
}

void CompletionQueueThreads::Poll(int index) {
  grpc::CompletionQueue* queue = queues_[index].get();
  // This thread's cancellable sleeps: it polls only until the earliest one
  // ends and resumes it itself, so no timer thread is woken for them.
  detail::QueueTimers timers(queue);
  current_queue = queue;
  void* tag = nullptr;
  bool ok = false;
  for (;;) {
    const int64_t earliest = timers.earliest_end_ms();
    const gpr_timespec until = earliest == detail::QueueTimers::kNone
                                   ? gpr_inf_future(GPR_CLOCK_REALTIME)
                                   : gpr_time_from_millis(earliest, GPR_CLOCK_REALTIME);
    const grpc::CompletionQueue::NextStatus status = queue->AsyncNext(&tag, &ok, until);
    if (status == grpc::CompletionQueue::SHUTDOWN) break;
    if (status == grpc::CompletionQueue::GOT_EVENT) detail::Operation::Complete(tag, ok);
    // Read again: the event may have started a sleep that ends sooner.
    const int64_t due = timers.earliest_end_ms();
    if (due != detail::QueueTimers::kNone) {
      const absl::Time now = absl::Now();
      if (absl::ToUnixMillis(now) >= due) timers.ResumeDue(now);
    }
  }
  current_queue = nullptr;
}

bool CompletionQueueThreads::WaitUntilIdle(absl::Time deadline) {
  std::unique_lock lock(work_mutex_);
  return work_finished_.wait_until(lock, absl::ToChronoTime(deadline), [this] {
    return live_work_.load(std::memory_order_acquire) == 0;
  });
}

void CompletionQueueThreads::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  WaitUntilIdle(absl::InfiniteFuture());
  for (auto& queue : queues_) queue->Shutdown();
  if (threads_.empty()) {
    // Never started: drain here so the queues may be destroyed.
    void* tag = nullptr;
    bool ok = false;
    for (auto& queue : queues_) {
      while (queue->Next(&tag, &ok)) detail::Operation::Complete(tag, ok);
    }
  }
  for (auto& thread : threads_) thread.join();
}

CompletionQueueThreads::KeepAlive::KeepAlive(CompletionQueueThreads& owner) : owner_(&owner) {
  owner_->live_work_.fetch_add(1, std::memory_order_relaxed);
}

CompletionQueueThreads::KeepAlive::~KeepAlive() {
  // acq_rel: whatever this work did happens-before Shutdown() seeing zero.
  if (owner_->live_work_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    // Taking the mutex orders this notify after Shutdown()'s check of the
    // predicate, so the wake-up cannot fall between its check and its wait.
    std::lock_guard lock(owner_->work_mutex_);
    owner_->work_finished_.notify_all();
  }
}

}  // namespace coro
