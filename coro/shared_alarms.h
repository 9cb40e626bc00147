// Cancellable sleeps that end in the same millisecond share one grpc::Alarm.
//
// Each gRPC alarm costs an allocation, an insertion into gRPC's timer heap
// under a lock, and a hand-over from gRPC's timer thread to the queue's
// thread. When thousands of calls each wait a millisecond or two, that is
// paid thousands of times a second for nothing: gRPC keeps deadlines in whole
// milliseconds anyway. So every completion-queue thread of
// CompletionQueueThreads keeps one alarm per millisecond in which some sleep
// ends (a bucket), and when it fires the thread resumes that bucket's sleeps
// one after another, without going back through the queue.
//
// A stop (client cancel, shutdown) takes the sleep out of its bucket from any
// thread and sends it home through an alarm of its own, already due; a bucket
// left empty has its alarm cancelled, so no alarm outlives its sleeps and a
// queue shutting down never waits for one.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include <algorithm>
#include <cassert>
#include <coroutine>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>

#include "absl/time/time.h"
#include "coro/cancellation.h"
#include "coro/operation.h"

namespace coro {

class SharedSleep;

namespace detail {

// The buckets of one completion-queue thread. Made by that thread's loop in
// CompletionQueueThreads, which outlives every sleep on it (each holds a
// KeepAlive) and every bucket alarm (the queue drains them before its loop
// ends).
class SharedAlarms {
 public:
  explicit SharedAlarms(grpc::CompletionQueue* queue);
  ~SharedAlarms();
  SharedAlarms(const SharedAlarms&) = delete;
  SharedAlarms& operator=(const SharedAlarms&) = delete;

  // The calling thread's, or nullptr off the completion-queue threads.
  static SharedAlarms* Current();

  grpc::CompletionQueue* queue() const { return queue_; }
  // Puts `sleep` in the bucket of `end`'s millisecond (rounded up), arming
  // that bucket's alarm if it is the first. Only on this queue's thread.
  void Add(SharedSleep& sleep, absl::Time end);
  // Takes `sleep` out of its bucket; false if it was no longer in one (its
  // bucket fired). Any thread.
  bool Remove(SharedSleep& sleep);
  // Alarms armed now: what tests count sharing by.
  int armed_alarms();

 private:
  struct Bucket;
  static void Fire(Operation* bucket, bool ok);

  grpc::CompletionQueue* const queue_;
  SharedAlarms* const previous_;
  std::mutex mutex_;                    // guards buckets_ and every bucket's list of sleeps
  std::map<int64_t, Bucket*> buckets_;  // by the millisecond they end in
};

}  // namespace detail

// co_await SharedSleep(duration, cancellation), which Sleep(duration,
// cancellation) returns: true at the end of `duration` (a little later: the
// end rounds up to the next millisecond, as every gRPC alarm's does), false
// when cut short by `cancellation` (its stop, or its deadline coming first).
// Resumes on the calling completion-queue thread, which it must be on.
class [[nodiscard]] SharedSleep final : public detail::ResumeOnCompletion {
 public:
  SharedSleep(absl::Duration duration, const Cancellation& cancellation)
      : SharedSleep(absl::Now() + duration, cancellation) {}
  // Until `end` rather than for a duration.
  SharedSleep(absl::Time end, const Cancellation& cancellation)
      : end_(std::min(end, cancellation.deadline())),
        stop_(cancellation.stop_token()),
        cut_short_by_deadline_(cancellation.deadline() < end),
        alarms_(detail::SharedAlarms::Current()) {
    assert(alarms_ && "a shared sleep must run on a CompletionQueueThreads thread");
  }


  bool await_ready() const noexcept { return stop_.stop_requested(); }
  void await_suspend(std::coroutine_handle<> waiting) {
    waiting_ = waiting;
    // Our own queue's thread: the bucket cannot fire before we return to the
    // queue. A stop from now on (perhaps at once, in this very constructor)
    // takes the sleep out and sends it home early.
    alarms_->Add(*this, end_);
    stop_callback_.emplace(stop_, CutShort{this});
  }
  bool await_resume() {
    stop_callback_.reset();
    return ok() && !stop_.stop_requested() && !cut_short_by_deadline_;
  }

 private:
  friend class detail::SharedAlarms;

  struct CutShort {
    SharedSleep* sleep;
    void operator()() const {
      if (!sleep->alarms_->Remove(*sleep)) return;  // its bucket fired: already on its way
      sleep->home_.emplace();
      sleep->home_->Set(sleep->alarms_->queue(), absl::ToChronoTime(absl::UnixEpoch()),
                        sleep->tag());
    }
  };

  absl::Time end_;
  std::stop_token stop_;
  bool cut_short_by_deadline_;
  detail::SharedAlarms* alarms_;
  // The bucket's list, guarded by SharedAlarms' mutex; bucket_ is null once
  // out of it.
  void* bucket_ = nullptr;
  SharedSleep* previous_ = nullptr;
  SharedSleep* next_ = nullptr;
  std::optional<grpc::Alarm> home_;  // only when cut short
  std::optional<std::stop_callback<CutShort>> stop_callback_;
};

}  // namespace coro
