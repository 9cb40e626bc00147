// CancellableWaiter: what the awaiters of FdPoller and AsyncSemaphore share. A
// coroutine waits until its owner (the poller, the semaphore) hands it what it
// waits for, or until its Cancellation cuts the wait short (a stop request, or
// the deadline), and then resumes on the thread of the completion queue it
// waited from, posted there by a grpc::Alarm: never on the thread that woke it.
//
// Three parties race to end a wait: the owner (the poller's thread, or a
// Release() on any thread), a stop request (any thread, through a
// std::stop_callback) and the deadline. Exactly one of them may resume the
// coroutine, and none may touch the waiter once it has resumed: its frame may
// be gone by then.
//
// One decision: each party decides under the owner's mutex. The one that finds
// `pending_` true clears it, sets the result and takes the waiter off the
// owner's list; the others find it false and do nothing. The owner finds
// waiters only through that list, so it cannot reach one that has left.
//
// One resumption: the coroutine resumes only when the alarm's tag comes back,
// and gRPC returns a tag exactly once. With a deadline, the alarm is set for it
// as the wait begins, so its firing is the deadline's bid; the owner or a stop
// ends the wait early with Cancel(), which brings the tag back at once (and
// does nothing if it has fired already). Without a deadline, the party that
// decides Set()s the alarm already due.
//
// Nothing after resumption: the deciding party calls Cancel() or Set() with the
// owner's mutex still held, and the tag's arrival takes that mutex before it
// resumes the coroutine, so that party is done with the waiter by then. A stop
// callback that lost may still be running on another thread: await_resume
// destroys it first, and that waits for it to return.
//
// The alarm is on the queue of the thread that runs await_suspend, so its tag
// cannot come back before await_suspend returns: await_suspend may go on to
// register the stop callback after the waiter is visible to the others. Hence
// waits start on a completion-queue thread (asserted).
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include <cassert>
#include <chrono>
#include <coroutine>
#include <mutex>
#include <optional>
#include <stop_token>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coro/cancellation.h"
#include "coro/completion_queue_threads.h"
#include "coro/operation.h"

namespace coro::detail {

class CancellableWaiter : public Operation {
 public:
  // Takes the waiter off its owner's list; called with the owner's mutex held.
  using WithdrawFunction = void (*)(CancellableWaiter& waiter);

  CancellableWaiter(std::mutex& owner_mutex, WithdrawFunction withdraw,
                    const Cancellation& cancellation)
      : Operation(&CancellableWaiter::Arrived),
        owner_mutex_(owner_mutex),
        withdraw_(withdraw),
        queue_(CompletionQueueThreads::Current()),
        stop_(cancellation.stop_token()),
        deadline_(cancellation.deadline()) {
    assert(queue_ && "a cancellable wait must start on a completion-queue thread");
  }

  // For the owner, with its mutex held, having just taken the waiter off its
  // list: what it waited for is there, and the wait yields true.
  void Wake() {
    assert(pending_);
    Decide(true);
  }

 protected:
  // For await_ready: true if the cancellation has already said stop (or its
  // deadline has passed), in which case the wait yields false at once.
  bool CutShortAlready() const {
    return stop_.stop_requested() ||
           (deadline_ != absl::InfiniteFuture() && absl::Now() >= deadline_);
  }

  // For await_suspend. `enlist()`, called with the owner's mutex held, puts the
  // waiter on the owner's list and returns true; or it returns false when what
  // the waiter wants is there already, and the wait yields true at once.
  template <typename Enlist>
  bool Suspend(std::coroutine_handle<> waiting, Enlist enlist) {
    waiting_ = waiting;
    alarm_.emplace();  // outside the lock: constructing an alarm initialises gRPC
    {
      std::lock_guard lock(owner_mutex_);
      if (!enlist()) {
        result_ = true;
        return false;
      }
      pending_ = true;
      if (deadline_ != absl::InfiniteFuture()) {
        alarm_->Set(queue_, absl::ToChronoTime(deadline_), tag());
        deadline_alarm_ = true;
      }
    }
    // The owner may have decided by now, but the tag waits for this thread.
    if (stop_.stop_possible()) stop_callback_.emplace(stop_, StopRequested{this});
    return true;
  }

  // For await_resume: the result, once no stop callback can be running.
  bool Result() {
    stop_callback_.reset();
    return result_;
  }

  // Written by the awaiting thread before the wait begins, then by the
  // deciding party under the owner's mutex (read after the tag's arrival has
  // taken that mutex). False unless what the waiter wanted is its.
  bool result_ = false;

 private:
  struct StopRequested {
    CancellableWaiter* waiter;
    void operator()() const { waiter->OnStopRequested(); }
  };

  // With the owner's mutex held, by the party that found the wait pending.
  void Decide(bool result) {
    pending_ = false;
    result_ = result;
    if (deadline_alarm_) {
      alarm_->Cancel();
    } else {
      alarm_->Set(queue_, std::chrono::system_clock::time_point(), tag());
    }
  }

  void OnStopRequested() {
    std::lock_guard lock(owner_mutex_);
    if (!pending_) return;
    withdraw_(*this);
    Decide(false);
  }

  // The tag is back on the waiter's own queue thread: the deadline alarm fired
  // (`ok`), or a party that decided cancelled or set it. Which one it was is
  // `pending_`'s business, not `ok`'s.
  static void Arrived(Operation* base, bool /*ok*/) {
    auto* self = static_cast<CancellableWaiter*>(base);
    {
      std::lock_guard lock(self->owner_mutex_);
      if (self->pending_) {  // the deadline, before anyone else
        self->withdraw_(*self);
        self->pending_ = false;
        self->result_ = false;
      }
    }
    self->waiting_.resume();
  }

  std::mutex& owner_mutex_;
  const WithdrawFunction withdraw_;
  grpc::CompletionQueue* const queue_;
  const std::stop_token stop_;
  const absl::Time deadline_;
  std::coroutine_handle<> waiting_;
  // Guarded by the owner's mutex once the wait has begun.
  bool pending_ = false;
  bool deadline_alarm_ = false;
  std::optional<grpc::Alarm> alarm_;
  std::optional<std::stop_callback<StopRequested>> stop_callback_;
};

}  // namespace coro::detail
