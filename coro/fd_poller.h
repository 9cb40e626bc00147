// FdPoller: lets a coroutine wait until a file descriptor it owns is ready to
// read or write (a database client's socket, say), and then go on on the
// completion-queue thread it waited from.
//
//   ssize_t got = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
//   while (got < 0 && errno == EAGAIN) {
//     const bool ready = co_await poller.WaitFor(fd, coro::FdPoller::kReadable, cancellation);
//     if (!ready) co_return -1;  // stopped, or the deadline passed
//     got = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
//   }
//
// One thread of the poller's own sits in epoll_wait on every fd a coroutine
// waits for. It runs no user code: it finds the waiter of a ready fd and posts
// that waiter's resumption onto its queue with an alarm (see
// cancellable_waiter.h, which also explains how readiness, a stop and the
// deadline race). Deadlines never reach that thread: each wait's own alarm
// keeps it.
//
// The caller owns the fd: it opens it, makes it non-blocking, reads and writes
// it, and closes it, never while a wait on it is pending. At most one wait per
// fd at a time (asserted). Each wait registers the fd with epoll just for
// itself (EPOLLONESHOT) and removes it before resuming, so an fd closed between
// waits, or its number reused, leaves nothing behind. An fd epoll cannot watch
// (a regular file) counts as ready at once.
#pragma once

#include <coroutine>
#include <cstdint>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "coro/cancellable_waiter.h"
#include "coro/cancellation.h"

namespace coro {

class FdPoller {
 public:
  // Starts the poller's thread.
  FdPoller();
  // Stops and joins it; no wait may be pending.
  ~FdPoller();

  FdPoller(const FdPoller&) = delete;
  FdPoller& operator=(const FdPoller&) = delete;

  enum Interest : uint32_t { kReadable = 1, kWritable = 2 };

  class [[nodiscard]] WaitAwaiter final : public detail::CancellableWaiter {
   public:
    WaitAwaiter(FdPoller& poller, int fd, uint32_t interest, const Cancellation& cancellation)
        : CancellableWaiter(poller.mutex_, &WaitAwaiter::Withdraw, cancellation),
          poller_(poller),
          fd_(fd),
          interest_(interest) {}

    bool await_ready() const { return CutShortAlready(); }
    bool await_suspend(std::coroutine_handle<> waiting) {
      return Suspend(waiting, [this] { return poller_.Enlist(*this); });
    }
    bool await_resume() { return Result(); }

   private:
    friend class FdPoller;
    static void Withdraw(CancellableWaiter& waiter) {
      auto& self = static_cast<WaitAwaiter&>(waiter);
      self.poller_.Forget(self);
    }

    FdPoller& poller_;
    const int fd_;
    const uint32_t interest_;
    uint64_t id_ = 0;  // the poller's number for this wait (guarded by its mutex)
  };

  // co_await WaitFor(fd, interest, cancellation) yields true once `fd` is ready
  // for any of `interest` (kReadable | kWritable), or has an error or hangup
  // that the caller's next read or write reports; false when `cancellation`
  // cut the wait short. Either way it resumes on the completion-queue thread
  // it was awaited from, which it must be awaited on.
  WaitAwaiter WaitFor(int fd, uint32_t interest, const Cancellation& cancellation);
  // Never cut short.
  WaitAwaiter WaitFor(int fd, uint32_t interest);

 private:
  void Poll();
  // With `mutex_` held: registers `waiter`'s fd, or returns false if epoll
  // cannot watch it.
  bool Enlist(WaitAwaiter& waiter);
  // With `mutex_` held: unregisters `waiter`'s fd.
  void Forget(WaitAwaiter& waiter);

  const int epoll_fd_;
  const int wake_fd_;  // an eventfd, written to stop the poller's thread
  std::mutex mutex_;
  // Every pending wait, by the number that is its epoll data. A number is
  // never used twice, so an event that was already on its way when its wait
  // ended (by a stop or the deadline) finds nobody, even if the fd has a new
  // wait by then.
  absl::flat_hash_map<uint64_t, WaitAwaiter*> waits_;
  uint64_t next_id_ = 1;  // 0 is the eventfd's
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace coro
