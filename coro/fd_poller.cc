#include "coro/fd_poller.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <system_error>

namespace coro {
namespace {

// The epoll data of the wake-up eventfd; waits are numbered from 1.
constexpr uint64_t kWakeUp = 0;
constexpr int kEventsPerWakeUp = 64;

int Checked(int result, const char* what) {
  if (result < 0) throw std::system_error(errno, std::generic_category(), what);
  return result;
}

}  // namespace

FdPoller::FdPoller()
    : epoll_fd_(Checked(epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      wake_fd_(Checked(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd")) {
  epoll_event wake_up{};
  wake_up.events = EPOLLIN;
  wake_up.data.u64 = kWakeUp;
  Checked(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake_up), "epoll_ctl");
  thread_ = std::thread([this] { Poll(); });
}

FdPoller::~FdPoller() {
  {
    std::lock_guard lock(mutex_);
    assert(waits_.empty() && "an FdPoller must outlive every wait on it");
    stopping_ = true;
  }
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = write(wake_fd_, &one, sizeof(one));
  thread_.join();
  close(wake_fd_);
  close(epoll_fd_);
}

FdPoller::WaitAwaiter FdPoller::WaitFor(int fd, uint32_t interest,
                                        const Cancellation& cancellation) {
  assert(interest != 0 && (interest & ~uint32_t{kReadable | kWritable}) == 0);
  return WaitAwaiter(*this, fd, interest, cancellation);
}

FdPoller::WaitAwaiter FdPoller::WaitFor(int fd, uint32_t interest) {
  return WaitFor(fd, interest, Cancellation());
}

bool FdPoller::Enlist(WaitAwaiter& waiter) {
  epoll_event event{};
  // One-shot: the registration reports once and is removed by Forget() before
  // the waiter resumes, whichever party ends the wait.
  event.events = EPOLLONESHOT | ((waiter.interest_ & kReadable) ? EPOLLIN : 0u) |
                 ((waiter.interest_ & kWritable) ? EPOLLOUT : 0u);
  event.data.u64 = next_id_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, waiter.fd_, &event) != 0) {
    assert(errno != EEXIST && "another wait on this fd is pending");
    return false;  // not pollable (EPERM) or not open: the caller's I/O says which
  }
  waiter.id_ = next_id_++;
  waits_.emplace(waiter.id_, &waiter);
  return true;
}

void FdPoller::Forget(WaitAwaiter& waiter) {
  waits_.erase(waiter.id_);
  // Fails only if the caller closed the fd during the wait, which it must not
  // do; then epoll has dropped the registration itself.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, waiter.fd_, nullptr);
}

void FdPoller::Poll() {
  epoll_event events[kEventsPerWakeUp];
  for (;;) {
    const int count = epoll_wait(epoll_fd_, events, kEventsPerWakeUp, /*timeout=*/-1);
    if (count < 0) {
      assert(errno == EINTR);
      continue;
    }
    std::lock_guard lock(mutex_);
    for (int i = 0; i < count; ++i) {
      // Not found: the wake-up, or a wait that a stop or its deadline ended
      // since epoll_wait returned.
      const auto found = waits_.find(events[i].data.u64);
      if (found == waits_.end()) continue;
      WaitAwaiter& waiter = *found->second;
      Forget(waiter);
      waiter.Wake();  // posts its alarm; nothing of it is touched after the lock
    }
    if (stopping_) return;
  }
}

}  // namespace coro
