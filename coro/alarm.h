// Timers and hops between threads, without blocking any thread: each is a
// grpc::Alarm whose tag is the awaiter itself.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include <cassert>
#include <chrono>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coro/completion_queue_threads.h"
#include "coro/operation.h"

namespace coro {

// co_await SleepUntil(...) resumes on `queue`'s thread at `deadline`. Yields
// false if the alarm was cancelled (which only happens at shutdown).
class [[nodiscard]] SleepUntil final : public detail::ResumeOnCompletion {
 public:
  explicit SleepUntil(absl::Time deadline,
                      grpc::CompletionQueue* queue = CompletionQueueThreads::Current())
      : deadline_(deadline), queue_(queue) {
    assert(queue_ && "SleepUntil off a completion-queue thread needs an explicit queue");
  }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> waiting) {
    waiting_ = waiting;
    alarm_.Set(queue_, absl::ToChronoTime(deadline_), tag());
  }
  bool await_resume() const noexcept { return ok(); }

 private:
  absl::Time deadline_;
  grpc::CompletionQueue* queue_;
  grpc::Alarm alarm_;
};

// Sleeps for `duration` on the current queue's thread.
inline SleepUntil Sleep(absl::Duration duration,
                        grpc::CompletionQueue* queue = CompletionQueueThreads::Current()) {
  return SleepUntil(absl::Now() + duration, queue);
}

// co_await ResumeOn(queue) continues the coroutine on `queue`'s thread: an
// alarm already due is the cheapest way to post onto a given queue.
inline SleepUntil ResumeOn(grpc::CompletionQueue* queue) {
  return SleepUntil(absl::UnixEpoch(), queue);
}

}  // namespace coro
