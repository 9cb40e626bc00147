// Task<T>: a lazy coroutine that produces a T (or throws) for exactly one
// awaiter. Nothing runs until it is co_awaited; the awaiter is resumed when it
// finishes, with its value or its exception.
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <stdexcept>
#include <utility>
#include <variant>

#include "coro/frame_counter.h"

namespace coro {

template <typename T = void>
class Task;

// Thrown by co_await on a Task that has no coroutine (default-constructed or
// moved-from): there is no result to wait for, in any build.
class BrokenPromise : public std::logic_error {
 public:
  BrokenPromise() : std::logic_error("awaited a coro::Task that has no coroutine") {}
};

namespace detail {

class TaskPromiseBase : public CountedFrame {
 public:
  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    // Symmetric transfer: returning the awaiter's handle (instead of calling
    // resume() from here) lets the compiler turn the hand-off into a tail
    // call, so a loop over tasks that finish without suspending does not grow
    // the stack by one frame per iteration.
    template <typename Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> done) noexcept {
      return done.promise().continuation_;
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept { result_exception_ = std::current_exception(); }

 protected:
  void RethrowIfFailed() {
    if (result_exception_) std::rethrow_exception(result_exception_);
  }

 private:
  // Only the awaiting Task sets the continuation, and only the final awaiter
  // reads it.
  template <typename T>
  friend class coro::Task;
  void set_continuation(std::coroutine_handle<> continuation) noexcept {
    continuation_ = continuation;
  }

  std::coroutine_handle<> continuation_ = std::noop_coroutine();
  std::exception_ptr result_exception_;
};

template <typename T>
class TaskPromise final : public TaskPromiseBase {
 public:
  Task<T> get_return_object() noexcept;

  template <typename U>
  void return_value(U&& value) {
    value_.template emplace<1>(std::forward<U>(value));
  }

  T TakeResult() {
    RethrowIfFailed();
    assert(value_.index() == 1 && "task finished without a value");
    return std::move(std::get<1>(value_));
  }

 private:
  std::variant<std::monostate, T> value_;
};

template <>
class TaskPromise<void> final : public TaskPromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void TakeResult() { RethrowIfFailed(); }
};

}  // namespace detail

template <typename T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  // No coroutine: awaiting it throws BrokenPromise. Assign a task to it first.
  Task() noexcept = default;
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  ~Task() {
    if (handle_) handle_.destroy();
  }

  // A task is awaited once, as an rvalue: `co_await MakeTask()` or
  // `co_await std::move(task)`. Awaiting a task without a coroutine throws
  // BrokenPromise.
  class [[nodiscard]] Awaiter {
   public:
    explicit Awaiter(Handle handle) : handle_(handle) {}
    // No coroutine: do not suspend; await_resume throws.
    bool await_ready() const noexcept { return !handle_; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
      handle_.promise().set_continuation(awaiting);
      return handle_;  // start the task on this thread, right away
    }
    T await_resume() {
      if (!handle_) throw BrokenPromise();
      return handle_.promise().TakeResult();
    }

   private:
    Handle handle_;
  };
  Awaiter operator co_await() && noexcept { return Awaiter(handle_); }

 private:
  friend class detail::TaskPromise<T>;
  explicit Task(Handle handle) : handle_(handle) {}

  Handle handle_;
};

namespace detail {
template <typename T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<TaskPromise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace coro
