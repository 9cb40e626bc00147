// ThreadPool: worker threads for CPU-bound work, kept apart from the
// completion-queue threads so that a long computation never stalls I/O.
//
//   const int64_t sum = co_await coro::Offload(
//       pool, [&] { return std::accumulate(numbers.begin(), numbers.end(), int64_t{0}); });
//
// runs the lambda on a worker and resumes the caller back on its own
// completion-queue thread, with the value or the exception.
#pragma once

#include <grpcpp/completion_queue.h>

#include <condition_variable>
#include <coroutine>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "coro/alarm.h"
#include "coro/completion_queue_threads.h"
#include "coro/intrusive_queue.h"
#include "coro/task.h"

namespace coro {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  // Runs what is queued, then joins the workers.
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()); }

  class [[nodiscard]] ScheduleAwaiter {
   public:
    explicit ScheduleAwaiter(ThreadPool& pool) : pool_(pool) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> waiting) {
      waiting_ = waiting;
      pool_.Enqueue(this);
    }
    void await_resume() const noexcept {}

   private:
    friend class ThreadPool;
    friend class detail::IntrusiveQueue<ScheduleAwaiter>;
    ThreadPool& pool_;
    std::coroutine_handle<> waiting_;
    ScheduleAwaiter* next_ = nullptr;
  };

  // co_await Schedule() continues the coroutine on one of the workers.
  ScheduleAwaiter Schedule() { return ScheduleAwaiter(*this); }

 private:
  void Enqueue(ScheduleAwaiter* work);
  void Work();

  std::mutex mutex_;
  std::condition_variable work_arrived_;
  detail::IntrusiveQueue<ScheduleAwaiter> queued_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// Runs `work()` on `pool`, then resumes on `home` (by default the caller's
// completion-queue thread) with its result, or rethrows its exception there.
template <typename Work>
auto Offload(ThreadPool& pool, Work work,
             grpc::CompletionQueue* home = CompletionQueueThreads::Current())
    -> Task<std::invoke_result_t<Work&>> {
  using Result = std::invoke_result_t<Work&>;
  std::exception_ptr failure;
  std::conditional_t<std::is_void_v<Result>, bool, std::optional<Result>> result{};
  co_await pool.Schedule();
  try {
    if constexpr (std::is_void_v<Result>) {
      work();
    } else {
      result.emplace(work());
    }
  } catch (...) {
    failure = std::current_exception();
  }
  if (home) co_await ResumeOn(home);
  if (failure) std::rethrow_exception(failure);
  if constexpr (!std::is_void_v<Result>) co_return std::move(*result);
}

}  // namespace coro
