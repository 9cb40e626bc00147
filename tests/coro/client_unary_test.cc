// coro::CallUnary from client coroutines against a coro::Serve server, over a
// loopback socket.
#include "coro/client_unary.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "coro/task_group.h"
#include "tests/coro/echo_server.h"

namespace coro {
namespace {

using namespace test_support;  // the shared echo server and helpers

// Echoes the text and doubles the number; "fail" ends the call with
// NOT_FOUND instead.
void ServeDoublingEcho(EchoService& service, CompletionQueueThreads& queues) {
  Serve<&EchoService::RequestUnary>(
      service, queues,
      [](CallContext&, const EchoMessage& request, EchoMessage& response) -> Task<grpc::Status> {
        if (request.text() == "fail") {
          co_return grpc::Status(grpc::StatusCode::NOT_FOUND, "nothing called " + request.text());
        }
        response.set_text(request.text());
        response.set_number(request.number() * 2);
        co_return grpc::Status::OK;
      });
}

struct UnaryOutcome {
  grpc::Status status;
  EchoMessage response;
  std::thread::id before;
  std::thread::id after;
  grpc::CompletionQueue* queue_after = nullptr;
};

Task<UnaryOutcome> CallOnce(Echo::Stub& stub, EchoMessage request) {
  UnaryOutcome outcome;
  grpc::ClientContext context;
  context.set_deadline(GiveUpDeadline());
  outcome.before = std::this_thread::get_id();
  outcome.status =
      co_await CallUnary(&Echo::Stub::PrepareAsyncUnary, stub, context, request, outcome.response);
  outcome.after = std::this_thread::get_id();
  outcome.queue_after = CompletionQueueThreads::Current();
  co_return outcome;
}

TEST(ClientUnary, RoundTripResumesOnTheCallersQueueThread) {
  CompletionQueueThreads client(2);
  client.Start();
  EchoServer server(2, ServeDoublingEcho);
  auto stub = server.NewStub();
  const int64_t baseline = LiveCoroutineFrames();

  for (int index = 0; index < client.size(); ++index) {
    const UnaryOutcome outcome = RunOn(client, CallOnce(*stub, Message("hello", 21)), index);
    ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
    EXPECT_EQ(outcome.response.text(), "hello");
    EXPECT_EQ(outcome.response.number(), 42);
    EXPECT_EQ(outcome.after, outcome.before);
    EXPECT_EQ(outcome.queue_after, client.queue(index));
  }
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

TEST(ClientUnary, TheHandlersErrorStatusReachesTheClient) {
  CompletionQueueThreads client(1);
  client.Start();
  EchoServer server(1, ServeDoublingEcho);
  auto stub = server.NewStub();
  const int64_t baseline = LiveCoroutineFrames();

  const UnaryOutcome outcome = RunOn(client, CallOnce(*stub, Message("fail", 1)));
  EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(outcome.status.error_message(), "nothing called fail");
  EXPECT_EQ(outcome.response.number(), 0);
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// Many calls in flight from one client thread at once: each response lands
// in its own caller's frame, none is mixed up with another's.
TEST(ClientUnary, ConcurrentCallsFromOneThreadEachGetTheirOwnResponse) {
  constexpr int kCalls = 300;
  CompletionQueueThreads client(1);
  client.Start();
  EchoServer server(2, ServeDoublingEcho);
  auto stub = server.NewStub();
  const int64_t baseline = LiveCoroutineFrames();

  std::vector<int> doubled(kCalls, -1);
  auto call = [&stub, &doubled](int i) -> Task<void> {
    const UnaryOutcome outcome = co_await CallOnce(*stub, Message("n", i));
    if (outcome.status.ok()) doubled[i] = outcome.response.number();
  };
  RunOn(client, [&]() -> Task<void> {
    TaskGroup group(kCalls);
    for (int i = 0; i < kCalls; ++i) co_await group.Spawn(call(i));
    co_await group.Join();
  }());

  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(doubled[i], 2 * i) << "call " << i;
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

}  // namespace
}  // namespace coro
