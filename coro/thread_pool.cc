#include "coro/thread_pool.h"

#include <cassert>

namespace coro {

ThreadPool::ThreadPool(int threads) {
  assert(threads > 0);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_arrived_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::Enqueue(ScheduleAwaiter* work) {
  {
    std::lock_guard lock(mutex_);
    queued_.Push(work);
  }
  work_arrived_.notify_one();
}

void ThreadPool::Work() {
  for (;;) {
    ScheduleAwaiter* work = nullptr;
    {
      std::unique_lock lock(mutex_);
      work_arrived_.wait(lock, [this] { return !queued_.empty() || stopping_; });
      work = queued_.Pop();
      if (work == nullptr) return;  // stopping, and nothing left to run
    }
    work->waiting_.resume();
  }
}

}  // namespace coro
