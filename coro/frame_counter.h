// Counts live coroutine frames (Task and Detached) and their bytes, so tests
// can prove that no frame leaks and metrics can show how many calls are
// waiting and what their frames hold of memory.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coro {

// Frames allocated and not yet freed, process-wide, and their sizes summed.
int64_t LiveCoroutineFrames();
int64_t LiveCoroutineFrameBytes();

namespace detail {

// Adds `frames` frames of `bytes` in all to the calling thread's shard of the
// counts. Sharded so that frames created on every completion-queue thread at
// once do not all contend for one cache line.
void CountFrames(int64_t frames, int64_t bytes);

// Promise types derive from this to have their frames counted. Defined out
// of line: inlined into a coroutine, GCC 12 at -O2 pairs the global new with
// this delete and warns of a mismatch that is not there.
struct CountedFrame {
  static void* operator new(std::size_t size);
  static void operator delete(void* frame, std::size_t size);
};

}  // namespace detail
}  // namespace coro
