#include "coro/async_semaphore.h"

#include <cassert>

namespace coro {

AsyncSemaphore::AsyncSemaphore(int permits) : available_(permits) { assert(permits >= 0); }

AsyncSemaphore::~AsyncSemaphore() {
  assert(waiters_.empty() && "an AsyncSemaphore must outlive every wait on it");
}

bool AsyncSemaphore::TryAcquire() {
  std::lock_guard lock(mutex_);
  if (available_ == 0) return false;
  --available_;
  return true;
}

void AsyncSemaphore::Release() {
  std::lock_guard lock(mutex_);
  AcquireAwaiter* next = waiters_.Pop();
  if (next == nullptr) {
    ++available_;
    return;
  }
  // The permit passes straight to the oldest waiter, so nobody can take it
  // between here and that waiter's resumption (that is what keeps it FIFO).
  --waiting_;
  next->Wake();
}

int AsyncSemaphore::available() const {
  std::lock_guard lock(mutex_);
  return available_;
}

int AsyncSemaphore::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_;
}

bool AsyncSemaphore::Enlist(AcquireAwaiter& waiter) {
  if (available_ > 0) {
    --available_;
    return false;
  }
  waiters_.Push(&waiter);
  ++waiting_;
  return true;
}

void AsyncSemaphore::Withdraw(AcquireAwaiter& waiter) {
  waiters_.Remove(&waiter);
  --waiting_;
}

}  // namespace coro
