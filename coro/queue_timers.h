// Cancellable sleeps, timed by the completion-queue thread itself.
//
// A grpc::Alarm per sleep costs an allocation, an insertion into gRPC's timer
// heap under a lock, and, when it fires, a wake-up of gRPC's timer thread that
// then wakes the queue's thread: two threads and their context switches per
// sleep. With thousands of calls each waiting a millisecond or two, that was
// a tenth of the server's CPU. Instead every thread of CompletionQueueThreads
// keeps its sleeps in buckets, one per millisecond in which some sleep ends
// (gRPC rounds its alarms to milliseconds too), and polls its queue with
// AsyncNext until the earliest bucket's end: when it comes, the same thread
// resumes that bucket's sleeps one after another. No other thread is woken.
//
// A stop (client cancel, shutdown) takes the sleep out of its bucket from any
// thread and sends it home through a grpc::Alarm of its own, already due; an
// emptied bucket goes, so the thread never wakes for nobody.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <coroutine>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coro/cancellation.h"
#include "coro/operation.h"

namespace coro {

class CancellableSleep;

namespace detail {

// The buckets of one completion-queue thread, made by that thread's loop in
// CompletionQueueThreads, which outlives every sleep on it (each holds a
// KeepAlive, so the queue shuts down only after they end).
class QueueTimers {
 public:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::max();

  explicit QueueTimers(grpc::CompletionQueue* queue);
  ~QueueTimers();
  QueueTimers(const QueueTimers&) = delete;
  QueueTimers& operator=(const QueueTimers&) = delete;

  // The calling thread's, or nullptr off the completion-queue threads.
  static QueueTimers* Current();

  grpc::CompletionQueue* queue() const { return queue_; }
  // Puts `sleep` in the bucket of `end`'s millisecond (rounded up). Only on
  // this queue's thread.
  void Add(CancellableSleep& sleep, absl::Time end);
  // Takes `sleep` out of its bucket; false if it was no longer in one (its
  // end came). Any thread.
  bool Remove(CancellableSleep& sleep);

  // For the queue's loop: the earliest bucket's end in Unix milliseconds, or
  // kNone. Never later than the true earliest (a Remove on another thread may
  // have emptied that bucket since), so the loop wakes in time or for nothing.
  int64_t earliest_end_ms() const { return earliest_end_ms_.load(std::memory_order_relaxed); }
  // For the queue's loop: resumes, on this thread, every sleep whose bucket
  // ends at or before `now`.
  void ResumeDue(absl::Time now);

  // Buckets with sleeps in them: what tests count sharing by.
  int buckets();

 private:
  struct Bucket {  // its sleeps in the order they began
    CancellableSleep* first = nullptr;
    CancellableSleep* last = nullptr;
  };
  void UpdateEarliest();  // under mutex_

  grpc::CompletionQueue* const queue_;
  QueueTimers* const previous_;
  std::mutex mutex_;                   // guards buckets_ and each bucket's list of sleeps
  std::map<int64_t, Bucket> buckets_;  // by the Unix millisecond they end in
  std::atomic<int64_t> earliest_end_ms_{kNone};
};

// The milliseconds since the Unix epoch at which `end` falls, rounded up.
int64_t EndMillisecond(absl::Time end);

}  // namespace detail

// co_await CancellableSleep(duration, cancellation), which Sleep(duration,
// cancellation) returns: true at the end of `duration` (a little later: the
// end rounds up to the next millisecond, as every gRPC alarm's does), false
// when cut short by `cancellation` (its stop, or its deadline coming first).
// Resumes on the calling completion-queue thread, which it must be on.
class [[nodiscard]] CancellableSleep final : public detail::ResumeOnCompletion {
 public:
  // A duration of zero or less yields: the thread resumes the sleep as soon
  // as its current tag's work is done, without a gRPC operation.
  CancellableSleep(absl::Duration duration, const Cancellation& cancellation)
      : CancellableSleep(
            duration > absl::ZeroDuration() ? absl::Now() + duration : absl::InfinitePast(),
            cancellation) {}
  // Until `end` rather than for a duration.
  CancellableSleep(absl::Time end, const Cancellation& cancellation)
      : end_(std::min(end, cancellation.deadline())),
        stop_(cancellation.stop_token()),
        cut_short_by_deadline_(cancellation.deadline() < end),
        timers_(detail::QueueTimers::Current()) {
    assert(timers_ && "a cancellable sleep must run on a CompletionQueueThreads thread");
  }

  bool await_ready() const noexcept { return stop_.stop_requested(); }
  void await_suspend(std::coroutine_handle<> waiting) {
    waiting_ = waiting;
    // On our own queue's thread, which cannot resume us before we return to
    // its loop. A stop from now on (perhaps at once, in this very
    // constructor) takes the sleep out and sends it home early.
    timers_->Add(*this, end_);
    stop_callback_.emplace(stop_, CutShort{this});
  }
  bool await_resume() {
    stop_callback_.reset();
    return ok() && !stop_.stop_requested() && !cut_short_by_deadline_;
  }

 private:
  friend class detail::QueueTimers;

  struct CutShort {
    CancellableSleep* sleep;
    void operator()() const {
      if (!sleep->timers_->Remove(*sleep)) return;  // its end came: already being resumed
      sleep->home_.emplace();
      sleep->home_->Set(sleep->timers_->queue(), absl::ToChronoTime(absl::UnixEpoch()),
                        sleep->tag());
    }
  };

  absl::Time end_;
  std::stop_token stop_;
  bool cut_short_by_deadline_;
  detail::QueueTimers* timers_;
  // The bucket's list, guarded by QueueTimers' mutex; bucket_ (the bucket's
  // end) is kNone once out of it.
  int64_t bucket_ = detail::QueueTimers::kNone;
  CancellableSleep* previous_ = nullptr;
  CancellableSleep* next_ = nullptr;
  std::optional<grpc::Alarm> home_;  // only when cut short
  std::optional<std::stop_callback<CutShort>> stop_callback_;
};

}  // namespace coro
