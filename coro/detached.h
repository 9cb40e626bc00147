// Detached: the return type of a coroutine that nobody awaits. It starts at
// once, runs to completion on whatever threads its awaits resume it on, and
// frees its own frame at the end. Server calls are Detached: each accepted call
// lives exactly as long as its coroutine.
#pragma once

#include <coroutine>
#include <exception>
#include <utility>

#include "coro/task.h"

namespace coro {

struct Detached {
  struct promise_type : detail::CountedFrame {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    // Nobody could receive the exception: a detached coroutine must catch
    // everything itself, so reaching here is a bug.
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

// Runs `task` to completion without awaiting it. The task must not throw.
inline Detached Spawn(Task<void> task) { co_await std::move(task); }

}  // namespace coro
