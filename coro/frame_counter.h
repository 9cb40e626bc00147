// Counts live coroutine frames (Task and Detached), so tests can prove that no
// frame leaks and metrics can show how many calls are waiting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace coro {

// Frames allocated and not yet freed, process-wide.
int64_t LiveCoroutineFrames();

namespace detail {

// Adds `delta` to the calling thread's shard of the count. Sharded so that
// frames created on every completion-queue thread at once do not all contend
// for one cache line.
void CountFrames(int64_t delta);

// Promise types derive from this to have their frames counted.
struct CountedFrame {
  static void* operator new(std::size_t size) {
    void* frame = ::operator new(size);
    CountFrames(+1);
    return frame;
  }
  static void operator delete(void* frame, std::size_t size) {
    CountFrames(-1);
    ::operator delete(frame, size);
  }
};

}  // namespace detail
}  // namespace coro
