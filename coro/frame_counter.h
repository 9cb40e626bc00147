// Counts live coroutine frames (Task and Detached), so tests can prove that no
// frame leaks and metrics can show how many calls are waiting.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coro {

// Frames allocated and not yet freed, process-wide.
int64_t LiveCoroutineFrames();

namespace detail {

// Adds `delta` to the calling thread's shard of the count. Sharded so that
// frames created on every completion-queue thread at once do not all contend
// for one cache line.
void CountFrames(int64_t delta);

// Promise types derive from this to have their frames counted. Defined out
// of line: inlined into a coroutine, GCC 12 at -O2 pairs the global new with
// this delete and warns of a mismatch that is not there.
struct CountedFrame {
  static void* operator new(std::size_t size);
  static void operator delete(void* frame, std::size_t size);
};

}  // namespace detail
}  // namespace coro
