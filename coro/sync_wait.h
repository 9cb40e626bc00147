// SyncWait: blocks the calling thread until a task finishes and returns its
// value (or rethrows). For main(), tests and thread-per-request code; never
// call it on a completion-queue thread, whose tags it would stop delivering.
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "coro/detached.h"
#include "coro/task.h"

namespace coro {

template <typename T>
T SyncWait(Task<T> task) {
  // A mutex rather than a semaphore: this thread may destroy both the moment
  // it sees `finished`, and only a mutex guarantees the releasing thread is
  // done touching it by then.
  std::mutex mutex;
  std::condition_variable changed;
  bool finished = false;
  std::exception_ptr failure;
  using Stored = std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>;
  Stored result{};
  auto run = [&]() -> Detached {
    try {
      if constexpr (std::is_void_v<T>) {
        co_await std::move(task);
      } else {
        result.emplace(co_await std::move(task));
      }
    } catch (...) {
      failure = std::current_exception();
    }
    std::lock_guard lock(mutex);
    finished = true;
    changed.notify_one();
  };
  run();
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return finished; });
  }
  if (failure) std::rethrow_exception(failure);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace coro
