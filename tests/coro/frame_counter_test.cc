// LiveCoroutineFrames: what the other tests rely on to prove that no frame
// leaks, checked against counts known exactly; and LiveCoroutineFrameBytes,
// which must return to exactly where it was.
#include "coro/frame_counter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stop_token>

#include "coro/alarm.h"
#include "coro/client_unary.h"
#include "coro/detached.h"
#include "coro/sync_wait.h"
#include "tests/coro/echo_server.h"

namespace coro {
namespace {

using namespace test_support;  // the shared echo server and helpers

Task<int> Seven() { co_return 7; }

TEST(Frames, ATaskFrameLivesFromItsCallUntilItsTaskIsGone) {
  const int64_t baseline = LiveCoroutineFrames();
  const int64_t baseline_bytes = LiveCoroutineFrameBytes();
  {
    Task<int> task = Seven();
    EXPECT_EQ(LiveCoroutineFrames(), baseline + 1);
    // The frame holds at least the resume and destroy pointers and the
    // promise with its result.
    EXPECT_GE(LiveCoroutineFrameBytes(),
              baseline_bytes + static_cast<int64_t>(2 * sizeof(void*) + sizeof(int)));
    // SyncWait's own driver is a frame too, gone by the time it returns here
    // because nothing suspended.
    EXPECT_EQ(SyncWait(std::move(task)), 7);
  }
  EXPECT_EQ(LiveCoroutineFrames(), baseline);
  EXPECT_EQ(LiveCoroutineFrameBytes(), baseline_bytes);
}

// A spawned coroutine suspended on an alarm is two frames (the Detached
// driver and the task) until it ends, on the queue thread.
TEST(Frames, ASuspendedDetachedCoroutineCountsUntilItEnds) {
  CompletionQueueThreads queues(1);
  queues.Start();
  const int64_t baseline = LiveCoroutineFrames();
  std::stop_source release;
  std::atomic<bool> suspended{false};
  std::atomic<bool> ended{false};
  auto park = [&]() -> Task<void> {
    co_await ResumeOn(queues.queue(0));
    suspended = true;
    co_await Sleep(absl::Seconds(30), Cancellation(release.get_token(), absl::InfiniteFuture()));
    ended = true;
  };
  Spawn(park());
  ASSERT_TRUE(WaitFor([&] { return suspended.load(); }));
  EXPECT_EQ(LiveCoroutineFrames(), baseline + 2);
  release.request_stop();
  ASSERT_TRUE(WaitFor([&] { return ended.load(); }));
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// Each outstanding accept is one suspended frame, per method, queue and
// accept; calls come and go without changing that; shutdown ends them all.
TEST(Frames, ServerFramesAreItsAcceptsAndShutdownFreesThem) {
  constexpr int kQueues = 2;
  constexpr int kAcceptsPerQueue = 3;
  const int64_t baseline = LiveCoroutineFrames();
  auto server = std::make_unique<EchoServer>(
      kQueues, [](EchoService& service, CompletionQueueThreads& queues) {
        auto echo = [](CallContext&, const EchoMessage& request,
                       EchoMessage& response) -> Task<grpc::Status> {
          response = request;
          co_return grpc::Status::OK;
        };
        Serve<&EchoService::RequestUnary>(service, queues, echo, kAcceptsPerQueue);
        Serve<&EchoService::RequestServerStream>(
            service, queues,
            [](CallContext&, const EchoMessage&, ServerWriter<EchoMessage>&) -> Task<grpc::Status> {
              co_return grpc::Status::OK;
            },
            kAcceptsPerQueue);
      });
  const int64_t accepts = 2 * kQueues * kAcceptsPerQueue;
  EXPECT_EQ(LiveCoroutineFrames(), baseline + accepts);

  auto stub = server->NewStub();
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext context;
    context.set_deadline(GiveUpDeadline());
    EchoMessage response;
    ASSERT_TRUE(stub->Unary(&context, Message("hi", i), &response).ok());
    EXPECT_EQ(response.number(), i);
  }
  EXPECT_EQ(FramesAfterSettling(baseline + accepts), baseline + accepts);

  server.reset();
  EXPECT_EQ(LiveCoroutineFrames(), baseline);
}

}  // namespace
}  // namespace coro
