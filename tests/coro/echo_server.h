// An in-process Echo server on a loopback port, served by coro::Serve with
// whatever handlers a test registers, plus the small helpers the coro tests
// share: running a task on a client queue, polling with a give-up deadline,
// and checking that coroutine frames come back to a baseline.
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/channel_arguments.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coro/alarm.h"
#include "coro/completion_queue_threads.h"
#include "coro/echo.grpc.pb.h"
#include "coro/frame_counter.h"
#include "coro/serve.h"
#include "coro/server_shutdown.h"
#include "coro/sync_wait.h"
#include "coro/task.h"

namespace coro::test_support {

using test::Echo;
using test::EchoMessage;
using EchoService = Echo::AsyncService;

// `Service` is Echo::AsyncService unless a test composes its own (raw
// methods, say).
template <typename Service = EchoService>
class BasicEchoServer {
 public:
  // `register_handlers(service, queues)` makes the coro::Serve calls; it runs
  // after BuildAndStart and before the queue threads start, so every accept
  // is posted from this thread before any tag can come back.
  template <typename RegisterHandlers>
  BasicEchoServer(int threads, RegisterHandlers register_handlers) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    queues_ = std::make_unique<CompletionQueueThreads>(builder, threads);
    server_ = builder.BuildAndStart();
    register_handlers(service_, *queues_);
    queues_->Start();
  }
  ~BasicEchoServer() { Shutdown(); }

  BasicEchoServer(const BasicEchoServer&) = delete;
  BasicEchoServer& operator=(const BasicEchoServer&) = delete;

  // Calls still running at the deadline are cancelled, so a test that failed
  // half-way still tears down instead of hanging.
  void Shutdown(absl::Duration timeout = absl::Seconds(5)) {
    if (!server_) return;
    ShutdownServer(*server_, *queues_, absl::Now() + timeout);
    server_.reset();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Channels with different `connection` values do not share a subchannel,
  // so each is its own TCP connection.
  std::shared_ptr<grpc::Channel> NewChannel(int connection = 0) const {
    grpc::ChannelArguments arguments;
    arguments.SetInt("ledger.test.channel", connection);
    return grpc::CreateCustomChannel(address(), grpc::InsecureChannelCredentials(), arguments);
  }
  std::unique_ptr<Echo::Stub> NewStub(int connection = 0) const {
    return Echo::NewStub(NewChannel(connection));
  }

  CompletionQueueThreads& queues() { return *queues_; }

 private:
  int port_ = 0;
  Service service_;
  std::unique_ptr<CompletionQueueThreads> queues_;
  std::unique_ptr<grpc::Server> server_;
};

using EchoServer = BasicEchoServer<>;

inline EchoMessage Message(std::string text, int number = 0) {
  EchoMessage message;
  message.set_text(std::move(text));
  message.set_number(number);
  return message;
}

// A client deadline for calls that should end long before it: it only keeps
// a broken test from hanging.
inline std::chrono::system_clock::time_point GiveUpDeadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(30);
}

// Runs `task` on the thread of `queues.queue(index)` and blocks this (non
// queue) thread until it is done. The KeepAlive makes the queues' shutdown
// wait for the task, as for any coroutine that starts operations on them.
template <typename T>
T RunOn(CompletionQueueThreads& queues, Task<T> task, int index = 0) {
  auto on_queue = [](grpc::CompletionQueue* queue, CompletionQueueThreads::KeepAlive,
                     Task<T> inner) -> Task<T> {
    co_await ResumeOn(queue);
    co_return co_await std::move(inner);
  };
  return SyncWait(on_queue(queues.queue(index), queues.keep_alive(), std::move(task)));
}

// Polls `done()` until it holds or `give_up` has passed; returns its last
// value. For waiting on other threads where no signal can be awaited.
template <typename Predicate>
bool WaitFor(Predicate done, absl::Duration give_up = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + give_up;
  while (!done()) {
    if (absl::Now() >= deadline) return done();
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Raises `most` to `value` if it is lower: a high-water mark kept by
// several threads.
inline void RaiseTo(std::atomic<int>& most, int value) {
  int seen = most.load();
  while (value > seen && !most.compare_exchange_weak(seen, value)) {
  }
}

// Frames are freed on whichever thread ends them, possibly just after the
// signal a test waited for, so the count is polled rather than read once.
inline int64_t FramesAfterSettling(int64_t baseline, absl::Duration give_up = absl::Seconds(10)) {
  WaitFor([&] { return LiveCoroutineFrames() == baseline; }, give_up);
  return LiveCoroutineFrames();
}

}  // namespace coro::test_support
