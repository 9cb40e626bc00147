#include "coro/frame_counter.h"

#include <atomic>
#include <new>

namespace coro {
namespace {

constexpr int kShards = 32;

struct alignas(64) Shard {
  std::atomic<int64_t> frames{0};
};
Shard shards[kShards];

int ShardOfThisThread() {
  static std::atomic<int> next_shard{0};
  thread_local const int shard = next_shard.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

}  // namespace

namespace detail {

void CountFrames(int64_t delta) {
  shards[ShardOfThisThread()].frames.fetch_add(delta, std::memory_order_relaxed);
}

void* CountedFrame::operator new(std::size_t size) {
  void* frame = ::operator new(size);
  CountFrames(+1);
  return frame;
}

void CountedFrame::operator delete(void* frame, std::size_t size) {
  CountFrames(-1);
  ::operator delete(frame, size);
}

}  // namespace detail

int64_t LiveCoroutineFrames() {
  // A frame may be counted up on one shard and down on another, so only the
  // sum means anything.
  int64_t total = 0;
  for (const Shard& shard : shards) total += shard.frames.load(std::memory_order_relaxed);
  return total;
}

}  // namespace coro
