// AsyncMutex: a mutex for coroutines. A coroutine that finds it held is
// suspended (no thread waits) and queued; the holder's unlock hands the mutex
// to the longest waiter, first in, first out, and resumes it on the unlocking
// thread. Use it wherever a coroutine must hold a lock across awaits, e.g. to
// let one write at a time onto a gRPC stream.
//
// The hand-off resumes the next holder inside Unlock(), on the unlocker's
// stack: a long chain of holders that each unlock without ever suspending
// would nest that deep. Holders here (stream writes, which always suspend)
// never chain like that.
//
//   coro::AsyncMutex::Guard guard = co_await mutex.Lock();
//   const int before = total;
//   co_await coro::Sleep(absl::Milliseconds(1));  // still held: nobody else changes `total`
//   total = before + amount;
//   // unlocked when `guard` goes out of scope
#pragma once

#include <coroutine>
#include <mutex>
#include <utility>

#include "coro/intrusive_queue.h"

namespace coro {

class AsyncMutex {
 public:
  AsyncMutex() = default;
  AsyncMutex(const AsyncMutex&) = delete;
  AsyncMutex& operator=(const AsyncMutex&) = delete;

  // Owns the lock; unlocks on destruction. Movable.
  class [[nodiscard]] Guard {
   public:
    explicit Guard(AsyncMutex& mutex) : mutex_(&mutex) {}
    Guard(Guard&& other) noexcept : mutex_(std::exchange(other.mutex_, nullptr)) {}
    Guard& operator=(Guard&&) = delete;
    ~Guard() {
      if (mutex_) mutex_->Unlock();
    }

   private:
    AsyncMutex* mutex_;
  };

  class [[nodiscard]] LockAwaiter {
   public:
    explicit LockAwaiter(AsyncMutex& mutex) : mutex_(mutex) {}
    bool await_ready() { return mutex_.TryLock(); }
    bool await_suspend(std::coroutine_handle<> waiting) {
      waiting_ = waiting;
      return mutex_.Enqueue(this);
    }
    Guard await_resume() { return Guard(mutex_); }

   private:
    friend class AsyncMutex;
    friend class detail::IntrusiveQueue<LockAwaiter>;
    AsyncMutex& mutex_;
    std::coroutine_handle<> waiting_;
    LockAwaiter* next_ = nullptr;
  };

  // co_await Lock() yields a Guard once the mutex is ours.
  LockAwaiter Lock() { return LockAwaiter(*this); }

  bool TryLock() {
    std::lock_guard lock(state_mutex_);
    if (locked_) return false;
    locked_ = true;
    return true;
  }

  void Unlock() {
    LockAwaiter* next = nullptr;
    {
      std::lock_guard lock(state_mutex_);
      // Hand the still-locked mutex straight to the first waiter, so nobody
      // can barge in between (that is what keeps it FIFO).
      next = waiters_.Pop();
      if (next == nullptr) {
        locked_ = false;
        return;
      }
    }
    next->waiting_.resume();
  }

 private:
  // Queues `waiter` unless the mutex was released meanwhile, in which case
  // it takes the mutex and returns false (do not suspend).
  bool Enqueue(LockAwaiter* waiter) {
    std::lock_guard lock(state_mutex_);
    if (!locked_) {
      locked_ = true;
      return false;
    }
    waiters_.Push(waiter);
    return true;
  }

  // Held only for the few instructions that update the fields below; never
  // while a coroutine waits or runs.
  std::mutex state_mutex_;
  bool locked_ = false;
  detail::IntrusiveQueue<LockAwaiter> waiters_;
};

}  // namespace coro
