// The server ends of streams (coro/server_streams.h): back-pressure from a
// slow reader, several coroutines writing to one stream, a finished stream,
// and thousands of streams suspended at once on two threads.
#include "coro/server_streams.h"

#include <grpc/grpc.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "coro/client_streams.h"
#include "coro/task_group.h"
#include "tests/coro/echo_server.h"

namespace coro {
namespace {

using namespace test_support;  // the shared echo server and helpers

using Writer = ServerWriter<EchoMessage>;
using ReaderWriter = ServerReaderWriter<EchoMessage, EchoMessage>;

struct Flood {
  static constexpr int kMessages = 100'000;
  std::atomic<int> writes{0};
  std::atomic<bool> ended{false};
};

// A client that reads a few messages and then just stops, without cancelling:
// each Write waits for the previous one, and the transport stops taking more
// once the flow-control windows are full, so the handler stops with it
// instead of queuing 1.6 GB.
//
// The client's channel does not probe the bandwidth-delay product: on
// loopback that grows the windows to about 8 MB (some 500 of these messages),
// which a loaded box takes seconds to fill. With the fixed 64 KiB windows the
// writer stops after about ten messages; either way it must stop.
TEST(ServerStreams, AReaderThatStopsReadingHoldsTheWriterBack) {
  Flood flood;
  CompletionQueueThreads client(1);
  client.Start();
  EchoServer server(1, [&flood](EchoService& service, CompletionQueueThreads& queues) {
    Serve<&EchoService::RequestServerStream>(
        service, queues,
        [&flood](CallContext&, const EchoMessage&, Writer& writer) -> Task<grpc::Status> {
          const EchoMessage big = Message(std::string(16 * 1024, 'x'));
          for (int i = 0; i < Flood::kMessages; ++i) {
            if (!co_await writer.Write(big)) break;
            ++flood.writes;
          }
          flood.ended = true;
          co_return grpc::Status::OK;
        });
  });
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto stub = Echo::NewStub(
      grpc::CreateCustomChannel(server.address(), grpc::InsecureChannelCredentials(), arguments));
  const int64_t baseline = LiveCoroutineFrames();

  grpc::ClientContext context;
  context.set_deadline(GiveUpDeadline());
  auto stream = ServerStreamingCall(&Echo::Stub::PrepareAsyncServerStream, *stub, context,
                                    Message("flood"), client.queue(0));
  const int read = RunOn(client, [&]() -> Task<int> {
    int read = 0;
    EchoMessage message;
    if (!co_await stream.Start()) co_return read;
    while (read < 3 && co_await stream.Read(message)) ++read;
    co_return read;
  }());
  ASSERT_EQ(read, 3);

  // Given time to write all it could, the writer is still held back far
  // below its 100,000 messages (the windows hold about ten; a second of
  // writing unhindered would pass 1,000), and it has not ended. A busy
  // machine only makes the writer slower, never the bound looser.
  absl::SleepFor(absl::Seconds(1));
  const int written = flood.writes.load();
  EXPECT_LT(written, 1000) << "the writer was not held back";
  EXPECT_GE(written, read);
  EXPECT_FALSE(flood.ended.load());

  context.TryCancel();
  const grpc::Status status = RunOn(client, [&]() -> Task<grpc::Status> {
    EchoMessage message;
    while (co_await stream.Read(message)) {
    }
    co_return co_await stream.Finish();
  }());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(WaitFor([&] { return flood.ended.load(); }));
  EXPECT_LT(flood.writes.load(), Flood::kMessages);
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// What one bidi handler's writers did.
struct Writers {
  static constexpr int kWriters = 8;
  static constexpr int kPerWriter = 40;
  std::atomic<int> in_write{0};
  std::atomic<int> most_in_write{0};
  std::set<std::thread::id> threads;  // only touched on the call's thread
};

std::string Payload(int writer, int index) {
  // Long enough that a torn or mixed-up message would show, distinct per
  // message so that a duplicate would too.
  std::string payload = "writer " + std::to_string(writer) + " message " + std::to_string(index);
  payload.resize(4096, static_cast<char>('a' + (writer * 7 + index) % 26));
  return payload;
}

Task<void> WriteMany(ReaderWriter& stream, Writers& writers, int writer) {
  for (int i = 0; i < Writers::kPerWriter; ++i) {
    writers.threads.insert(std::this_thread::get_id());
    RaiseTo(writers.most_in_write, ++writers.in_write);
    const bool written = co_await stream.Write(Message(Payload(writer, i), writer));
    --writers.in_write;
    if (!written) co_return;
  }
}

TEST(ServerStreams, ConcurrentWritersOnOneStreamDeliverEveryMessageIntactOnce) {
  Writers writers;
  CompletionQueueThreads client(1);
  client.Start();
  EchoServer server(2, [&writers](EchoService& service, CompletionQueueThreads& queues) {
    Serve<&EchoService::RequestBidi>(
        service, queues, [&writers](CallContext&, ReaderWriter& stream) -> Task<grpc::Status> {
          EchoMessage go;
          if (!co_await stream.Read(go)) co_return grpc::Status::CANCELLED;
          TaskGroup group(Writers::kWriters);
          for (int writer = 0; writer < Writers::kWriters; ++writer) {
            co_await group.Spawn(WriteMany(stream, writers, writer));
          }
          co_await group.Join();
          co_return grpc::Status::OK;
        });
  });
  auto stub = server.NewStub();
  const int64_t baseline = LiveCoroutineFrames();

  std::vector<EchoMessage> received;
  const grpc::Status status = RunOn(client, [&]() -> Task<grpc::Status> {
    grpc::ClientContext context;
    context.set_deadline(GiveUpDeadline());
    auto stream = BidiStreamingCall(&Echo::Stub::PrepareAsyncBidi, *stub, context);
    if (co_await stream.Start() && co_await stream.Write(Message("go")) &&
        co_await stream.WritesDone()) {
      EchoMessage message;
      while (co_await stream.Read(message)) received.push_back(message);
    }
    co_return co_await stream.Finish();
  }());

  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(received.size(), static_cast<size_t>(Writers::kWriters * Writers::kPerWriter));
  std::map<int, std::vector<int>> indices_by_writer;
  for (const EchoMessage& message : received) {
    const int writer = message.number();
    const int index = static_cast<int>(indices_by_writer[writer].size());
    // Each writer awaits its own writes in turn, so its messages arrive in
    // its order; a lost, doubled or mangled message breaks the sequence.
    ASSERT_EQ(message.text(), Payload(writer, index)) << "writer " << writer;
    indices_by_writer[writer].push_back(index);
  }
  EXPECT_EQ(indices_by_writer.size(), static_cast<size_t>(Writers::kWriters));
  // They really wrote at once: every writer had a write outstanding together,
  // all on the call's one thread.
  EXPECT_EQ(writers.most_in_write.load(), Writers::kWriters);
  EXPECT_EQ(writers.threads.size(), 1u);
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// Once the handler has finished its stream, further writes are refused (not
// sent, no crash) and the status it returns is not sent either.
TEST(ServerStreams, AfterTheHandlerFinishesWritesFailAndItsReturnedStatusIsIgnored) {
  std::atomic<int> late_write{-1};
  std::atomic<int> late_finish{-1};
  CompletionQueueThreads client(1);
  client.Start();
  EchoServer server(1, [&](EchoService& service, CompletionQueueThreads& queues) {
    Serve<&EchoService::RequestServerStream>(
        service, queues,
        [&](CallContext&, const EchoMessage&, Writer& writer) -> Task<grpc::Status> {
          co_await writer.Write(Message("before", 1));
          co_await writer.Finish(grpc::Status::OK);
          late_write = (co_await writer.Write(Message("after", 2))) ? 1 : 0;
          late_finish = (co_await writer.Finish(grpc::Status::CANCELLED)) ? 1 : 0;
          co_return grpc::Status(grpc::StatusCode::ABORTED, "returned after finishing");
        });
  });
  auto stub = server.NewStub();
  const int64_t baseline = LiveCoroutineFrames();

  std::vector<std::string> texts;
  const grpc::Status status = RunOn(client, [&]() -> Task<grpc::Status> {
    grpc::ClientContext context;
    context.set_deadline(GiveUpDeadline());
    auto stream = ServerStreamingCall(&Echo::Stub::PrepareAsyncServerStream, *stub, context,
                                      Message("finish early"));
    if (co_await stream.Start()) {
      EchoMessage message;
      while (co_await stream.Read(message)) texts.push_back(message.text());
    }
    co_return co_await stream.Finish();
  }());

  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(texts, (std::vector<std::string>{"before"}));
  ASSERT_TRUE(WaitFor([&] { return late_finish.load() != -1; }));
  EXPECT_EQ(late_write.load(), 0);
  EXPECT_EQ(late_finish.load(), 0);
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

// The handlers of 10,000 server-streaming calls, all suspended at once.
struct Crowd {
  static constexpr int kCalls = 10'000;
  static constexpr int kMessages = 4;
  // How long the calls may take to all arrive. Seconds without a sanitizer;
  // under ThreadSanitizer on a machine busy with other builds, 10,000 calls
  // have been seen to need more than 30 s, so the deadline leaves minutes.
  static constexpr std::chrono::seconds kPatience{150};
  std::atomic<int> arrived{0};
  std::atomic<int> running{0};
  std::atomic<int> most_running{0};
  // Stopped by the last handler to arrive: releases everyone at once. Each
  // waiter's alarm is cancelled and comes back on that waiter's own queue.
  std::stop_source everyone_arrived;
  std::mutex mutex;
  std::set<std::thread::id> threads;
  // Handlers that came back from the wait on another thread than their own.
  std::atomic<int> moved{0};
};

Task<grpc::Status> CrowdHandler(Crowd& crowd, CallContext& call, Writer& writer) {
  const std::thread::id own_thread = std::this_thread::get_id();
  {
    std::lock_guard lock(crowd.mutex);
    crowd.threads.insert(own_thread);
  }
  RaiseTo(crowd.most_running, ++crowd.running);
  if (++crowd.arrived == Crowd::kCalls) crowd.everyone_arrived.request_stop();

  grpc::Status status = grpc::Status::OK;
  if (!co_await writer.Write(Message("", 0))) status = grpc::Status::CANCELLED;
  // Waits for every other call to arrive (the wait for the last one is cut
  // short at once), or gives up with the call's deadline.
  if (status.ok()) {
    co_await Sleep(absl::FromChrono(Crowd::kPatience),
                   Cancellation(crowd.everyone_arrived.get_token(), call.deadline()));
    if (std::this_thread::get_id() != own_thread) ++crowd.moved;
    if (call.IsCancelled() || !crowd.everyone_arrived.stop_requested()) {
      status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "not everyone arrived");
    }
  }
  for (int i = 1; i < Crowd::kMessages && status.ok(); ++i) {
    co_await Sleep(absl::Milliseconds(1));
    if (!co_await writer.Write(Message("", i))) status = grpc::Status::CANCELLED;
  }
  --crowd.running;
  co_return status;
}

struct Results {
  std::atomic<int> done{0};
  std::atomic<int> complete{0};  // OK and every message, in order
  std::mutex mutex;
  std::map<std::string, int> failures;
};

Task<void> CrowdCall(Echo::Stub& stub, Results& results, CompletionQueueThreads::KeepAlive) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + Crowd::kPatience);
  auto stream =
      ServerStreamingCall(&Echo::Stub::PrepareAsyncServerStream, stub, context, Message("crowd"));
  int next = 0;
  bool in_order = true;
  if (co_await stream.Start()) {
    EchoMessage message;
    while (co_await stream.Read(message)) in_order = in_order && message.number() == next++;
  }
  const grpc::Status status = co_await stream.Finish();
  if (status.ok() && in_order && next == Crowd::kMessages) {
    ++results.complete;
  } else {
    std::lock_guard lock(results.mutex);
    ++results.failures[std::to_string(status.error_code()) + " " + status.error_message() +
                       " after " + std::to_string(next) + " messages"];
  }
  ++results.done;
}

TEST(ServerStreams, TenThousandConcurrentStreamsOnTwoServerThreads) {
  constexpr int kChannels = 8;
  Crowd crowd;
  Results results;
  CompletionQueueThreads client(2);
  client.Start();
  EchoServer server(2, [&crowd](EchoService& service, CompletionQueueThreads& queues) {
    Serve<&EchoService::RequestServerStream>(
        service, queues, [&crowd](CallContext& call, const EchoMessage&, Writer& writer) {
          return CrowdHandler(crowd, call, writer);
        });
  });
  std::vector<std::unique_ptr<Echo::Stub>> stubs;
  for (int i = 0; i < kChannels; ++i) stubs.push_back(server.NewStub(i));
  const int64_t baseline = LiveCoroutineFrames();

  // Started on the client threads, so each call's operations use that queue.
  for (int queue = 0; queue < client.size(); ++queue) {
    RunOn(
        client,
        [&, queue]() -> Task<void> {
          for (int i = queue; i < Crowd::kCalls; i += client.size()) {
            Spawn(CrowdCall(*stubs[i % kChannels], results, client.keep_alive()));
          }
          co_return;
        }(),
        queue);
  }
  EXPECT_TRUE(WaitFor([&] { return results.done.load() == Crowd::kCalls; },
                      absl::FromChrono(Crowd::kPatience) + absl::Seconds(30)))
      << results.done.load() << " calls done, " << crowd.arrived.load() << " arrived";

  EXPECT_EQ(results.complete.load(), Crowd::kCalls);
  {
    std::lock_guard lock(results.mutex);
    for (const auto& [failure, times] : results.failures) {
      ADD_FAILURE() << times << " calls failed: " << failure;
    }
  }
  EXPECT_EQ(crowd.most_running.load(), Crowd::kCalls);
  EXPECT_EQ(crowd.moved.load(), 0);
  {
    std::lock_guard lock(crowd.mutex);
    EXPECT_LE(crowd.threads.size(), 2u);
  }
  EXPECT_EQ(FramesAfterSettling(baseline), baseline);
}

}  // namespace
}  // namespace coro
