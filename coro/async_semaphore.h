// AsyncSemaphore: a counting semaphore for coroutines, e.g. N permits for a
// pool of N database connections. A coroutine that finds no permit free is
// suspended (no thread waits) and queued; Release() hands its permit straight
// to the longest waiter, first in, first out, and that waiter resumes on the
// completion-queue thread it waited from (posted there by an alarm), not on
// the releasing thread. A wait that its Cancellation cuts short holds no
// permit, and the next Release() goes to the next waiter.
//
//   const bool acquired = co_await connections.Acquire(cancellation);
//   if (!acquired) co_return false;  // stopped, or the deadline passed: no permit held
//   // a query on one of the connections:
//   co_await coro::Sleep(absl::Milliseconds(1));
//   connections.Release();
//
// How a Release(), a stop and the deadline racing for one waiter are resolved
// is explained in cancellable_waiter.h.
#pragma once

#include <coroutine>
#include <mutex>

#include "coro/cancellable_waiter.h"
#include "coro/cancellation.h"
#include "coro/intrusive_queue.h"

namespace coro {

class AsyncSemaphore {
 public:
  explicit AsyncSemaphore(int permits);
  // No coroutine may be waiting.
  ~AsyncSemaphore();

  AsyncSemaphore(const AsyncSemaphore&) = delete;
  AsyncSemaphore& operator=(const AsyncSemaphore&) = delete;

  class [[nodiscard]] AcquireAwaiter final : public detail::CancellableWaiter {
   public:
    AcquireAwaiter(AsyncSemaphore& semaphore, const Cancellation& cancellation)
        : CancellableWaiter(semaphore.mutex_, &AcquireAwaiter::Withdraw, cancellation),
          semaphore_(semaphore) {}

    bool await_ready() {
      if (CutShortAlready()) return true;
      result_ = semaphore_.TryAcquire();
      return result_;
    }
    bool await_suspend(std::coroutine_handle<> waiting) {
      return Suspend(waiting, [this] { return semaphore_.Enlist(*this); });
    }
    bool await_resume() { return Result(); }

   private:
    friend class AsyncSemaphore;
    friend class detail::IntrusiveList<AcquireAwaiter>;
    static void Withdraw(CancellableWaiter& waiter) {
      auto& self = static_cast<AcquireAwaiter&>(waiter);
      self.semaphore_.Withdraw(self);
    }

    AsyncSemaphore& semaphore_;
    AcquireAwaiter* prev_ = nullptr;
    AcquireAwaiter* next_ = nullptr;
  };

  // co_await Acquire(cancellation) yields true once a permit is ours; false if
  // `cancellation` cut the wait short (a stop, or its deadline passing), and
  // then no permit is held. Only on a completion-queue thread.
  AcquireAwaiter Acquire(const Cancellation& cancellation) {
    return AcquireAwaiter(*this, cancellation);
  }

  // Takes a free permit without waiting, if there is one.
  bool TryAcquire();
  // Hands the permit to the oldest waiter, if any, else frees it. Any thread.
  void Release();

  // Permits free now, and coroutines waiting now (for gauges).
  int available() const;
  int waiting() const;

 private:
  // With `mutex_` held: queues `waiter`, or returns false and gives it the
  // permit that a Release() freed since its await_ready.
  bool Enlist(AcquireAwaiter& waiter);
  // With `mutex_` held: takes a waiter whose wait was cut short off the queue.
  void Withdraw(AcquireAwaiter& waiter);

  // Held for the few instructions that change the fields below and post a
  // woken waiter's alarm; never while a coroutine runs.
  mutable std::mutex mutex_;
  // A permit is free only while nobody waits: Release() hands it over instead.
  int available_;
  int waiting_ = 0;
  detail::IntrusiveList<AcquireAwaiter> waiters_;
};

}  // namespace coro
