// Timers and hops between threads, without blocking any thread: each is a
// grpc::Alarm whose tag is the awaiter itself, except the cancellable sleep,
// which its queue's thread times itself (coro/queue_timers.h).
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include <cassert>
#include <coroutine>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coro/cancellation.h"
#include "coro/completion_queue_threads.h"
#include "coro/operation.h"
#include "coro/queue_timers.h"

namespace coro {

// co_await SleepUntil(deadline) resumes on `queue`'s thread at `deadline` and
// yields true (false only if gRPC cut the alarm short). For a sleep that a
// call's cancellation may end early, use Sleep(duration, cancellation).
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
    // The tag may complete on another queue's thread at once, freeing this
    // frame: nothing of *this may be touched after Set(), nor read after
    // tag() publishes it (so the arguments are read first).
    grpc::CompletionQueue* const queue = queue_;
    const auto deadline = absl::ToChronoTime(deadline_);
    alarm_.Set(queue, deadline, tag());
  }
  bool await_resume() const { return ok(); }

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

// Sleeps for `duration`, or less if `cancellation` says stop: a
// CancellableSleep, timed by the calling completion-queue thread itself.
inline CancellableSleep Sleep(absl::Duration duration, const Cancellation& cancellation) {
  return CancellableSleep(duration, cancellation);
}

// co_await ResumeOn(queue) continues the coroutine on `queue`'s thread: an
// alarm already due is the cheapest way to post onto a given queue. It is no
// way to let a queue's I/O in: the queue reads its sockets only when no event
// is ready, and this one is. A loop yields with Sleep for that.
inline SleepUntil ResumeOn(grpc::CompletionQueue* queue) {
  return SleepUntil(absl::UnixEpoch(), queue);
}

}  // namespace coro
