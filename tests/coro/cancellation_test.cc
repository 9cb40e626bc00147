// coro::Cancellation and CallContext: a stop or a deadline cuts a handler's
// awaits short, whether it comes from the client cancelling, the client's
// deadline passing, or the server shutting down.
#include "coro/cancellation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stop_token>
#include <vector>

#include "absl/status/status.h"
#include "coro/alarm.h"
#include "coro/call_context.h"
#include "coro/client_streams.h"
#include "coro/client_unary.h"
#include "tests/coro/echo_server.h"

namespace coro {
namespace {

using namespace test_support;  // the shared echo server and helpers

// Long enough that a sleep that was not cut short shows, short enough that
// such a failure does not hang the suite.
constexpr absl::Duration kLongSleep = absl::Seconds(30);

TEST(Cancellation, ByDefaultNeverStopsAndHasNoDeadline) {
  const Cancellation never;
  EXPECT_TRUE(never.Check().ok());
  EXPECT_EQ(never.deadline(), absl::InfiniteFuture());
  EXPECT_FALSE(never.stop_token().stop_possible());
}

TEST(Cancellation, CheckSaysCancelledOnceStoppedAndDeadlineExceededOncePast) {
  std::stop_source running;
  const Cancellation in_time(running.get_token(), absl::Now() + absl::Hours(1));
  EXPECT_TRUE(in_time.Check().ok());

  const Cancellation late(running.get_token(), absl::Now() - absl::Seconds(1));
  EXPECT_EQ(late.Check().code(), absl::StatusCode::kDeadlineExceeded);

  running.request_stop();
  EXPECT_EQ(in_time.Check().code(), absl::StatusCode::kCancelled);
  // A stopped call is reported as cancelled even when its deadline has also
  // passed.
  EXPECT_EQ(late.Check().code(), absl::StatusCode::kCancelled);
}

TEST(Cancellation, ASleepThatEndsInTimeReturnsTrue) {
  CompletionQueueThreads queues(1);
  queues.Start();
  std::stop_source stop;
  const bool slept = RunOn(queues, [](Cancellation cancellation) -> Task<bool> {
    co_return co_await Sleep(absl::Milliseconds(5), cancellation);
  }(Cancellation(stop.get_token(), absl::Now() + absl::Hours(1))));
  EXPECT_TRUE(slept);
}

TEST(Cancellation, ASleepAfterTheStopReturnsFalseWithoutWaiting) {
  CompletionQueueThreads queues(1);
  queues.Start();
  std::stop_source stop;
  stop.request_stop();
  const absl::Time start = absl::Now();
  const bool slept = RunOn(queues, [](Cancellation cancellation) -> Task<bool> {
    co_return co_await Sleep(kLongSleep, cancellation);
  }(Cancellation(stop.get_token(), absl::InfiniteFuture())));
  EXPECT_FALSE(slept);
  EXPECT_LT(absl::Now() - start, kLongSleep / 3);
}

// The stop comes from another thread while the sleeper is suspended on the
// queue thread: the alarm is cancelled and the sleeper resumes at once, on
// its own queue's thread.
TEST(Cancellation, AStopFromAnotherThreadCutsASleepShort) {
  CompletionQueueThreads queues(1);
  queues.Start();
  std::stop_source stop;
  std::atomic<bool> sleeping{false};
  std::atomic<bool> woke_on_the_queue{false};
  std::atomic<int> result{-1};
  auto sleeper = [&](Cancellation cancellation) -> Task<void> {
    sleeping = true;
    const bool slept = co_await Sleep(kLongSleep, cancellation);
    woke_on_the_queue = CompletionQueueThreads::Current() == queues.queue(0);
    result = slept ? 1 : 0;
  };
  std::thread runner(
      [&] { RunOn(queues, sleeper(Cancellation(stop.get_token(), absl::InfiniteFuture()))); });
  EXPECT_TRUE(WaitFor([&] { return sleeping.load(); }));
  const absl::Time stopped_at = absl::Now();
  stop.request_stop();
  EXPECT_TRUE(WaitFor([&] { return result.load() != -1; }, kLongSleep / 3));
  EXPECT_LT(absl::Now() - stopped_at, kLongSleep / 3);
  runner.join();
  EXPECT_EQ(result.load(), 0);
  EXPECT_TRUE(woke_on_the_queue.load());
}

TEST(Cancellation, TheDeadlineCutsASleepShort) {
  CompletionQueueThreads queues(1);
  queues.Start();
  std::stop_source stop;
  const absl::Time start = absl::Now();
  const Cancellation cancellation(stop.get_token(), start + absl::Milliseconds(20));
  const bool slept = RunOn(queues, [](const Cancellation& cancellation) -> Task<bool> {
    co_return co_await Sleep(kLongSleep, cancellation);
  }(cancellation));
  EXPECT_FALSE(slept);
  EXPECT_LT(absl::Now() - start, kLongSleep / 3);
  EXPECT_EQ(cancellation.Check().code(), absl::StatusCode::kDeadlineExceeded);
}

// What a handler saw of its call, for the test thread.
struct ObservedCall {
  std::atomic<bool> started{false};
  std::atomic<bool> ended{false};
  std::mutex mutex;
  // A copy shares the call's stop state and outlives the call, so the test
  // can see the stop that the done tag requests, whenever it arrives.
  std::stop_token stop;
};

// Writes "tick" messages with a pause between them until an await fails.
auto SlowTicker(ObservedCall& observed) {
  return [&observed](CallContext& call, const EchoMessage&,
                     ServerWriter<EchoMessage>& writer) -> Task<grpc::Status> {
    {
      std::lock_guard lock(observed.mutex);
      observed.stop = call.cancellation().stop_token();
    }
    observed.started = true;
    for (int i = 0;; ++i) {
      const bool slept = co_await Sleep(absl::Milliseconds(10), call.cancellation());
      if (!slept) break;
      if (!co_await writer.Write(Message("tick", i))) break;
    }
    observed.ended = true;
    co_return grpc::Status::CANCELLED;
  };
}

TEST(Cancellation, AClientCancelMidStreamEndsTheHandlerAndLeaksNoFrame) {
  ObservedCall observed;
  CompletionQueueThreads client(1);
  client.Start();
  EchoServer server(2, [&observed](EchoService& service, CompletionQueueThreads& queues) {
    Serve<&EchoService::RequestServerStream>(service, queues, SlowTicker(observed));
  });
  auto stub = server.NewStub();
  // Outstanding accepts are frames too: count from here on.
  const int64_t baseline = LiveCoroutineFrames();

  std::vector<int> numbers;
  bool read_after_cancel = true;
  grpc::Status status;
  RunOn(client, [&]() -> Task<void> {
    grpc::ClientContext context;
    context.set_deadline(GiveUpDeadline());
    auto stream = ServerStreamingCall(&Echo::Stub::PrepareAsyncServerStream, *stub, context,
                                      Message("ticks"));
    if (co_await stream.Start()) {
      EchoMessage message;
      while (numbers.size() < 3 && co_await stream.Read(message)) {
        numbers.push_back(message.number());
      }
      context.TryCancel();
      read_after_cancel = co_await stream.Read(message);
    }
    status = co_await stream.Finish();
  }());

  EXPECT_EQ(numbers, (std::vector<int>{0, 1, 2}));
  EXPECT_FALSE(read_after_cancel);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitFor([&] { return observed.ended.load(); }));
  std::stop_token stop;
  {
    std::lock_guard lock(observed.mutex);
    stop = observed.stop;
  }
  EXPECT_TRUE(WaitFor([&] { return stop.stop_requested(); })) << "IsCancelled() never became true";
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// What a sleeping unary handler saw of its call's deadline.
struct DeadlineSeen {
  std::atomic<int> attempt{0};  // the handler looks only at the current attempt's call
  std::atomic<bool> started{false};
  std::atomic<bool> ended{false};
  absl::Time deadline;
  absl::Time slept_at;
  absl::Time woke_at;
  bool slept = true;
  absl::Status check;
};

TEST(Cancellation, TheClientsDeadlineCutsTheHandlersSleepShort) {
  DeadlineSeen seen;
  CompletionQueueThreads client(1);
  client.Start();
  EchoServer server(1, [&seen](EchoService& service, CompletionQueueThreads& queues) {
    Serve<&EchoService::RequestUnary>(
        service, queues,
        [&seen](CallContext& call, const EchoMessage& request, EchoMessage&) -> Task<grpc::Status> {
          if (request.number() != seen.attempt.load()) co_return grpc::Status::OK;
          seen.deadline = call.deadline();
          seen.slept_at = absl::Now();
          seen.started = true;
          seen.slept = co_await Sleep(kLongSleep, call.cancellation());
          seen.woke_at = absl::Now();
          seen.check = call.cancellation().Check();
          seen.ended = true;
          co_return grpc::Status::OK;
        });
  });
  auto stub = server.NewStub();
  const int64_t baseline = LiveCoroutineFrames();

  // A call whose deadline passes before the server has accepted it never
  // reaches the handler, as happens on a machine busy enough; then the call
  // is made again with a longer deadline.
  std::chrono::milliseconds timeout(0);
  std::chrono::system_clock::time_point client_deadline;
  for (int attempt = 1; attempt <= 4 && !seen.started; ++attempt) {
    seen.attempt = attempt;
    timeout = std::chrono::milliseconds(500) * (1 << (2 * (attempt - 1)));  // 0.5, 2, 8, 32 s
    client_deadline = std::chrono::system_clock::now() + timeout;
    const grpc::Status status = RunOn(client, [&]() -> Task<grpc::Status> {
      grpc::ClientContext context;
      context.set_deadline(client_deadline);
      EchoMessage response;
      co_return co_await CallUnary(&Echo::Stub::PrepareAsyncUnary, *stub, context,
                                   Message("late", attempt), response);
    }());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    WaitFor([&] { return seen.started.load(); }, absl::Seconds(5));
  }
  ASSERT_TRUE(seen.started) << "no call reached the handler before its deadline";
  ASSERT_TRUE(WaitFor([&] { return seen.ended.load(); }));
  EXPECT_FALSE(seen.slept);
  // The propagated deadline is the client's: gRPC sends what is left of the
  // timeout, and the server counts it from when the call reached it. Each
  // side converts between the system clock and gRPC's own, cached, clock, so
  // under ThreadSanitizer on a busy machine the two have been seen 30 ms
  // apart; a quarter of a second either way is what the test allows.
  EXPECT_GE(seen.deadline, absl::FromChrono(client_deadline) - absl::Milliseconds(250));
  EXPECT_LE(seen.deadline, seen.slept_at + absl::FromChrono(timeout) + absl::Milliseconds(250));
  // Cut short by the deadline (the server's own, or the client's cancel at
  // its deadline, whichever came first): not before the earlier of the two
  // (the sleep's timer counts whole milliseconds), and nowhere near the end
  // of the long sleep. Not against the client's deadline alone: the server's
  // may be earlier by the clock difference allowed above.
  EXPECT_GE(seen.woke_at,
            std::min(seen.deadline, absl::FromChrono(client_deadline)) - absl::Milliseconds(2));
  EXPECT_LT(seen.woke_at - seen.slept_at, kLongSleep / 3);
  EXPECT_TRUE(seen.check.code() == absl::StatusCode::kDeadlineExceeded ||
              seen.check.code() == absl::StatusCode::kCancelled)
      << seen.check;
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// A unary call cancelled by the client from a thread other than the one its
// coroutine runs on.
TEST(Cancellation, AClientCancelFromAnotherThreadCancelsAUnaryHandler) {
  ObservedCall observed;
  std::atomic<bool> slept{true};
  CompletionQueueThreads client(1);
  client.Start();
  EchoServer server(1, [&](EchoService& service, CompletionQueueThreads& queues) {
    Serve<&EchoService::RequestUnary>(
        service, queues,
        [&](CallContext& call, const EchoMessage&, EchoMessage&) -> Task<grpc::Status> {
          observed.started = true;
          slept = co_await Sleep(kLongSleep, call.cancellation());
          {
            std::lock_guard lock(observed.mutex);
            observed.stop = call.cancellation().stop_token();
          }
          observed.ended = true;
          co_return grpc::Status::OK;
        });
  });
  auto stub = server.NewStub();
  const int64_t baseline = LiveCoroutineFrames();

  grpc::ClientContext context;
  context.set_deadline(GiveUpDeadline());
  grpc::Status status;
  std::thread caller([&] {
    status = RunOn(client, [&]() -> Task<grpc::Status> {
      EchoMessage response;
      co_return co_await CallUnary(&Echo::Stub::PrepareAsyncUnary, *stub, context,
                                   Message("cancel me"), response);
    }());
  });
  EXPECT_TRUE(WaitFor([&] { return observed.started.load(); }));
  context.TryCancel();
  caller.join();

  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitFor([&] { return observed.ended.load(); }));
  EXPECT_FALSE(slept.load());
  {
    std::lock_guard lock(observed.mutex);
    EXPECT_TRUE(observed.stop.stop_requested());
  }
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// A client stream ends its reads the same way whether the client half-closed
// it or cancelled it; the call's cancellation tells the two apart as soon as
// the read has failed, without waiting for the done tag.
TEST(Cancellation, AReadFailedByTheClientsCancelStopsTheCallAtOnceAndAHalfCloseDoesNot) {
  struct Seen {
    std::atomic<int> read{0};
    std::atomic<bool> ended{false};
    std::atomic<bool> cancelled_after_last_read{false};
  };
  Seen seen[2];  // [0] the client half-closes, [1] the client cancels
  EchoServer server(1, [&seen](EchoService& service, CompletionQueueThreads& queues) {
    Serve<&EchoService::RequestClientStream>(
        service, queues,
        [&seen](CallContext& call, ServerReader<EchoMessage, EchoMessage>& stream,
                EchoMessage& response) -> Task<grpc::Status> {
          EchoMessage message;
          const bool first = co_await stream.Read(message);
          if (!first) co_return grpc::Status::OK;
          Seen& mine = seen[message.number()];
          mine.read = 1;
          for (;;) {
            const bool read = co_await stream.Read(message);
            if (!read) break;
            ++mine.read;
          }
          mine.cancelled_after_last_read = call.IsCancelled();
          mine.ended = true;
          response.set_number(mine.read.load());
          co_return mine.cancelled_after_last_read ? grpc::Status::CANCELLED : grpc::Status::OK;
        });
  });
  auto stub = server.NewStub();
  for (int cancel = 0; cancel <= 1; ++cancel) {
    grpc::ClientContext context;
    context.set_deadline(GiveUpDeadline());
    EchoMessage response;
    auto writer = stub->ClientStream(&context, &response);
    ASSERT_TRUE(writer->Write(Message("first", cancel)));
    ASSERT_TRUE(writer->Write(Message("second", cancel)));
    // Both read: the handler now waits for the next message.
    ASSERT_TRUE(WaitFor([&] { return seen[cancel].read.load() == 2; }));
    if (cancel) {
      context.TryCancel();
    } else {
      writer->WritesDone();
    }
    EXPECT_EQ(writer->Finish().error_code(),
              cancel ? grpc::StatusCode::CANCELLED : grpc::StatusCode::OK);
    ASSERT_TRUE(WaitFor([&] { return seen[cancel].ended.load(); }));
    EXPECT_EQ(seen[cancel].cancelled_after_last_read.load(), cancel == 1);
  }
}

// Shutdown past its deadline cancels the calls in flight, and a handler
// waiting on its call's cancellation hears of it at once.
TEST(Cancellation, ServerShutdownCancelsASleepingHandler) {
  ObservedCall observed;
  std::atomic<bool> slept{true};
  CompletionQueueThreads client(1);
  client.Start();
  const int64_t baseline = LiveCoroutineFrames();
  auto server =
      std::make_unique<EchoServer>(1, [&](EchoService& service, CompletionQueueThreads& queues) {
        Serve<&EchoService::RequestUnary>(
            service, queues,
            [&](CallContext& call, const EchoMessage&, EchoMessage&) -> Task<grpc::Status> {
              observed.started = true;
              slept = co_await Sleep(kLongSleep, call.cancellation());
              observed.ended = true;
              co_return grpc::Status::OK;
            });
      });
  auto stub = server->NewStub();

  grpc::Status status;
  std::thread caller([&] {
    status = RunOn(client, [&]() -> Task<grpc::Status> {
      grpc::ClientContext context;
      context.set_deadline(GiveUpDeadline());
      EchoMessage response;
      co_return co_await CallUnary(&Echo::Stub::PrepareAsyncUnary, *stub, context,
                                   Message("shut down"), response);
    }());
  });
  EXPECT_TRUE(WaitFor([&] { return observed.started.load(); }));
  const absl::Time shutdown_start = absl::Now();
  server->Shutdown(absl::ZeroDuration());
  const absl::Duration shutdown_took = absl::Now() - shutdown_start;
  caller.join();

  EXPECT_TRUE(observed.ended.load());
  EXPECT_FALSE(slept.load());
  EXPECT_LT(shutdown_took, absl::Seconds(10));
  EXPECT_FALSE(status.ok());
  // The handler's call and every outstanding accept ended with the server.
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

}  // namespace
}  // namespace coro
