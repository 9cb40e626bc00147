// Timers and hops between threads, without blocking any thread: each is a
// grpc::Alarm whose tag is the awaiter itself.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include <algorithm>
#include <cassert>
#include <coroutine>
#include <optional>
#include <stop_token>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coro/cancellation.h"
#include "coro/completion_queue_threads.h"
#include "coro/operation.h"

namespace coro {

// co_await SleepUntil(deadline) resumes on `queue`'s thread at `deadline` and
// yields true; it yields false when the wait was cut short: by `cancellation`
// (its stop token, or its deadline coming first) or by shutdown.
class [[nodiscard]] SleepUntil final : public detail::ResumeOnCompletion {
 public:
  explicit SleepUntil(absl::Time deadline,
                      grpc::CompletionQueue* queue = CompletionQueueThreads::Current())
      : deadline_(deadline), queue_(queue) {
    assert(queue_ && "SleepUntil off a completion-queue thread needs an explicit queue");
  }
  // Cancellable: only on the calling thread's own queue, so that the alarm's
  // tag cannot complete while await_suspend is still registering the stop
  // callback.
  SleepUntil(absl::Time deadline, const Cancellation& cancellation)
      : deadline_(std::min(deadline, cancellation.deadline())),
        queue_(CompletionQueueThreads::Current()),
        stop_(cancellation.stop_token()),
        cut_short_by_deadline_(cancellation.deadline() < deadline) {
    assert(queue_ && "a cancellable sleep must run on a completion-queue thread");
  }

  bool await_ready() const noexcept { return stop_.stop_requested(); }
  void await_suspend(std::coroutine_handle<> waiting) {
    waiting_ = waiting;
    // Read everything before tag() publishes the frame to the queue thread.
    grpc::CompletionQueue* const queue = queue_;
    const auto deadline = absl::ToChronoTime(deadline_);
    if (!stop_.stop_possible()) {
      // The tag may complete on another queue's thread at once, freeing this
      // frame: nothing of *this may be touched after Set().
      alarm_.Set(queue, deadline, tag());
      return;
    }
    // Our own queue: the tag cannot complete before we return to it. A stop
    // requested from now on cancels the alarm, whose tag then comes back
    // early with ok == false. The callback may run on another thread;
    // Cancel() is safe there, and await_resume's reset() waits for it.
    alarm_.Set(queue, deadline, tag());
    stop_callback_.emplace(stop_, AlarmCanceller{&alarm_});
  }
  bool await_resume() {
    stop_callback_.reset();
    return ok() && !stop_.stop_requested() && !cut_short_by_deadline_;
  }

 private:
  struct AlarmCanceller {
    grpc::Alarm* alarm;
    void operator()() const { alarm->Cancel(); }
  };

  absl::Time deadline_;
  grpc::CompletionQueue* queue_;
  std::stop_token stop_;
  bool cut_short_by_deadline_ = false;
  grpc::Alarm alarm_;
  std::optional<std::stop_callback<AlarmCanceller>> stop_callback_;
};

// Sleeps for `duration` on the current queue's thread.
inline SleepUntil Sleep(absl::Duration duration,
                        grpc::CompletionQueue* queue = CompletionQueueThreads::Current()) {
  return SleepUntil(absl::Now() + duration, queue);
}

// Sleeps for `duration`, or less if `cancellation` says stop.
inline SleepUntil Sleep(absl::Duration duration, const Cancellation& cancellation) {
  return SleepUntil(absl::Now() + duration, cancellation);
}

// co_await ResumeOn(queue) continues the coroutine on `queue`'s thread: an
// alarm already due is the cheapest way to post onto a given queue.
inline SleepUntil ResumeOn(grpc::CompletionQueue* queue) {
  return SleepUntil(absl::UnixEpoch(), queue);
}

}  // namespace coro
