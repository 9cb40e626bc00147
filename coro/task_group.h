// TaskGroup: runs child tasks concurrently, at most `max_in_flight` at a time,
// and lets the parent wait for all of them. For fan-out inside one call, e.g.
// a bidi stream that works on up to 64 of its requests at once.
//
//   coro::TaskGroup group(64);
//   Request request;
//   while (co_await stream.Read(request)) co_await group.Spawn(Answer(stream, request));
//   co_await group.Join();  // rethrows the first child's exception, if any
//
// The child gets its own copy of `request` (Answer takes it by value): the
// next Read overwrites the parent's.
//
// A child is resumed (and the parent, when it waits) on whatever thread the
// child's awaits resume it on; a finishing child resumes the waiting parent on
// its own thread.
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <mutex>
#include <utility>

#include "coro/detached.h"
#include "coro/intrusive_queue.h"
#include "coro/task.h"

namespace coro {

class TaskGroup {
 public:
  explicit TaskGroup(int max_in_flight) : max_in_flight_(max_in_flight) {
    assert(max_in_flight > 0);
  }
  ~TaskGroup() { assert(in_flight_ == 0 && "Join() a TaskGroup before destroying it"); }
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  class [[nodiscard]] SpawnAwaiter {
   public:
    SpawnAwaiter(TaskGroup& group, Task<void> child) : group_(group), child_(std::move(child)) {}
    bool await_ready() { return group_.TryTakeSlot(); }
    bool await_suspend(std::coroutine_handle<> waiting) {
      waiting_ = waiting;
      return group_.WaitForSlot(this);
    }
    // The slot is ours: start the child, which runs until its first suspension.
    void await_resume() { group_.Run(std::move(child_)); }

   private:
    friend class TaskGroup;
    friend class detail::IntrusiveQueue<SpawnAwaiter>;
    TaskGroup& group_;
    Task<void> child_;
    std::coroutine_handle<> waiting_;
    SpawnAwaiter* next_ = nullptr;
  };

  // Waits for a free slot, then starts `child`.
  SpawnAwaiter Spawn(Task<void> child) { return SpawnAwaiter(*this, std::move(child)); }

  class [[nodiscard]] JoinAwaiter {
   public:
    explicit JoinAwaiter(TaskGroup& group) : group_(group) {}
    bool await_ready() { return group_.Idle(); }
    bool await_suspend(std::coroutine_handle<> waiting) { return group_.WaitForIdle(waiting); }
    void await_resume() {
      if (group_.failure_) std::rethrow_exception(std::exchange(group_.failure_, nullptr));
    }

   private:
    TaskGroup& group_;
  };

  // Waits until every child has finished; rethrows the first failure.
  JoinAwaiter Join() { return JoinAwaiter(*this); }

 private:
  bool TryTakeSlot();
  bool WaitForSlot(SpawnAwaiter* waiter);
  bool Idle();
  bool WaitForIdle(std::coroutine_handle<> waiting);
  void Run(Task<void> child);
  void ChildFinished(std::exception_ptr failure);

  const int max_in_flight_;
  std::mutex mutex_;  // held for a few instructions, never across a resume
  int in_flight_ = 0;
  detail::IntrusiveQueue<SpawnAwaiter> spawners_;  // waiting for a slot
  std::coroutine_handle<> joiner_;
  std::exception_ptr failure_;
};

inline bool TaskGroup::TryTakeSlot() {
  std::lock_guard lock(mutex_);
  if (in_flight_ >= max_in_flight_) return false;
  ++in_flight_;
  return true;
}

inline bool TaskGroup::WaitForSlot(SpawnAwaiter* waiter) {
  std::lock_guard lock(mutex_);
  if (in_flight_ < max_in_flight_) {  // a child finished meanwhile
    ++in_flight_;
    return false;
  }
  spawners_.Push(waiter);
  return true;
}

inline bool TaskGroup::Idle() {
  std::lock_guard lock(mutex_);
  return in_flight_ == 0;
}

inline bool TaskGroup::WaitForIdle(std::coroutine_handle<> waiting) {
  std::lock_guard lock(mutex_);
  if (in_flight_ == 0) return false;
  joiner_ = waiting;
  return true;
}

inline void TaskGroup::Run(Task<void> child) {
  [](TaskGroup& group, Task<void> task) -> Detached {
    std::exception_ptr failure;
    try {
      co_await std::move(task);
    } catch (...) {
      failure = std::current_exception();
    }
    group.ChildFinished(failure);
  }(*this, std::move(child));
}

inline void TaskGroup::ChildFinished(std::exception_ptr failure) {
  std::coroutine_handle<> resume;
  {
    std::lock_guard lock(mutex_);
    if (failure && !failure_) failure_ = failure;
    if (SpawnAwaiter* next = spawners_.Pop()) {
      // The slot passes straight to the first waiting spawner.
      resume = next->waiting_;
    } else if (--in_flight_ == 0 && joiner_) {
      resume = std::exchange(joiner_, nullptr);
    }
  }
  // Last: the parent may destroy the group as soon as it runs.
  if (resume) resume.resume();
}

}  // namespace coro
