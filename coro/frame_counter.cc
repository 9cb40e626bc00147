#include "coro/frame_counter.h"

#include <atomic>
#include <new>

namespace coro {
namespace {

constexpr int kShards = 32;

struct alignas(64) Shard {
  std::atomic<int64_t> frames{0};
  std::atomic<int64_t> bytes{0};
};
Shard shards[kShards];

int ShardOfThisThread() {
  static std::atomic<int> next_shard{0};
  thread_local const int shard = next_shard.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

}  // namespace

namespace detail {

void CountFrames(int64_t frames, int64_t bytes) {
  Shard& shard = shards[ShardOfThisThread()];
  shard.frames.fetch_add(frames, std::memory_order_relaxed);
  shard.bytes.fetch_add(bytes, std::memory_order_relaxed);
}

void* CountedFrame::operator new(std::size_t size) {
  void* frame = ::operator new(size);
  CountFrames(+1, static_cast<int64_t>(size));
  return frame;
}

void CountedFrame::operator delete(void* frame, std::size_t size) {
  CountFrames(-1, -static_cast<int64_t>(size));
  ::operator delete(frame, size);
}

}  // namespace detail

// A frame may be counted up on one shard and down on another, so only the
// sums mean anything.
int64_t LiveCoroutineFrames() {
  int64_t total = 0;
  for (const Shard& shard : shards) total += shard.frames.load(std::memory_order_relaxed);
  return total;
}

int64_t LiveCoroutineFrameBytes() {
  int64_t total = 0;
  for (const Shard& shard : shards) total += shard.bytes.load(std::memory_order_relaxed);
  return total;
}

}  // namespace coro
