// CompletionQueueThreads: N gRPC completion queues, each polled by exactly one
// thread that completes the tags (coro::detail::Operation) it takes off.
//
// A coroutine resumed by a tag therefore runs on its queue's thread, and any
// operation it starts on Current() brings it back to that same thread. This is
// what lets thousands of calls wait on a handful of threads.
//
// Shutdown rule (see coro/README.md): a tag must not be started on a queue that
// is shut down. Coroutines that will start operations hold a KeepAlive; the
// queues shut down only once every KeepAlive is gone.
#pragma once

#include <grpcpp/completion_queue.h>
#include <grpcpp/server_builder.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace coro {

class CompletionQueueThreads {
 public:
  // Plain queues, e.g. for clients.
  explicit CompletionQueueThreads(int count);
  // Server queues, registered with `builder`; call before BuildAndStart().
  CompletionQueueThreads(grpc::ServerBuilder& builder, int count);
  // Shuts down if Shutdown() was not called.
  ~CompletionQueueThreads();

  CompletionQueueThreads(const CompletionQueueThreads&) = delete;
  CompletionQueueThreads& operator=(const CompletionQueueThreads&) = delete;

  // Starts one polling thread per queue. Server queues: after BuildAndStart().
  void Start();

  // Waits until no KeepAlive is left, then shuts every queue down, drains it
  // and joins its thread. For server queues: after grpc::Server::Shutdown(),
  // which ends the accept loops and lets in-flight calls finish.
  void Shutdown();

  int size() const { return static_cast<int>(queues_.size()); }
  grpc::CompletionQueue* queue(int index) const { return queues_[index].get(); }
  // Only for queues made with the ServerBuilder constructor.
  grpc::ServerCompletionQueue* server_queue(int index) const;

  // The queue polled by the calling thread, or nullptr off the queue threads.
  static grpc::CompletionQueue* Current();

  // Keeps the queues running while it lives. Cheap to copy.
  class KeepAlive {
   public:
    explicit KeepAlive(CompletionQueueThreads& owner);
    KeepAlive(const KeepAlive& other) : KeepAlive(*other.owner_) {}
    KeepAlive& operator=(const KeepAlive&) = delete;
    ~KeepAlive();

   private:
    CompletionQueueThreads* owner_;
  };
  KeepAlive keep_alive() { return KeepAlive(*this); }

  // Waits until no KeepAlive is left or `deadline` passes; true if none is.
  bool WaitUntilIdle(absl::Time deadline);

 private:
  void Poll(int index);

  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  bool server_queues_ = false;
  std::vector<std::thread> threads_;
  bool shut_down_ = false;

  // Counted without a lock, because every call takes and drops one; the mutex
  // only guards the hand-off to a Shutdown() waiting for zero.
  std::atomic<int> live_work_{0};
  std::mutex work_mutex_;
  std::condition_variable work_finished_;
};

}  // namespace coro
