// coro::ServerStreamingCall, ClientStreamingCall and BidiStreamingCall from
// client coroutines against coro::Serve handlers, over a loopback socket.
#include "coro/client_streams.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coro/task_group.h"
#include "tests/coro/echo_server.h"

namespace coro {
namespace {

using namespace test_support;  // the shared echo server and helpers

using Writer = ServerWriter<EchoMessage>;
using Reader = ServerReader<EchoMessage, EchoMessage>;
using ReaderWriter = ServerReaderWriter<EchoMessage, EchoMessage>;

// Server streaming, by the request's text:
//   "count":    numbers 0..n-1, then OK from the returned status;
//   "metadata": initial metadata first, then 0..n-1 with the last one sent by
//               WriteAndFinish;
//   "fail":     0..n-1, then RESOURCE_EXHAUSTED.
Task<grpc::Status> StreamNumbers(CallContext& call, const EchoMessage& request, Writer& writer) {
  const int count = request.number();
  if (request.text() == "metadata") {
    call.grpc().AddInitialMetadata("x-echo-handler", "streaming");
    if (!co_await writer.SendInitialMetadata()) co_return grpc::Status::CANCELLED;
    for (int i = 0; i + 1 < count; ++i) {
      if (!co_await writer.Write(Message("metadata", i))) co_return grpc::Status::CANCELLED;
    }
    co_await writer.WriteAndFinish(Message("metadata", count - 1), grpc::Status::OK);
    co_return grpc::Status::OK;
  }
  for (int i = 0; i < count; ++i) {
    if (!co_await writer.Write(Message(request.text(), i))) co_return grpc::Status::CANCELLED;
  }
  if (request.text() == "fail") {
    co_return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "no more numbers");
  }
  co_return grpc::Status::OK;
}

// Client streaming: the sum of the numbers, or INVALID_ARGUMENT at the first
// negative one (without reading the rest).
Task<grpc::Status> SumNumbers(CallContext&, Reader& reader, EchoMessage& response) {
  EchoMessage message;
  int sum = 0;
  for (int index = 0; co_await reader.Read(message); ++index) {
    if (message.number() < 0) {
      co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                             "negative number at " + std::to_string(index));
    }
    sum += message.number();
  }
  response.set_number(sum);
  co_return grpc::Status::OK;
}

// Bidi: every request comes back with its number doubled.
Task<grpc::Status> DoubleEach(CallContext&, ReaderWriter& stream) {
  EchoMessage message;
  while (co_await stream.Read(message)) {
    message.set_number(message.number() * 2);
    if (!co_await stream.Write(message)) co_return grpc::Status::CANCELLED;
  }
  co_return grpc::Status::OK;
}

void ServeAllKinds(EchoService& service, CompletionQueueThreads& queues) {
  Serve<&EchoService::RequestServerStream>(service, queues, &StreamNumbers);
  Serve<&EchoService::RequestClientStream>(service, queues, &SumNumbers);
  Serve<&EchoService::RequestBidi>(service, queues, &DoubleEach);
}

class ClientAndServer {
 public:
  ClientAndServer() : server_(2, ServeAllKinds), stub_(server_.NewStub()) {
    client_.Start();
    baseline_ = LiveCoroutineFrames();
  }
  Echo::Stub& stub() { return *stub_; }
  CompletionQueueThreads& client() { return client_; }
  int64_t baseline() const { return baseline_; }

 private:
  // The server goes first, so a call a failed test left open is cancelled
  // and its client coroutine ends before the client queue shuts down.
  CompletionQueueThreads client_{1};
  EchoServer server_;
  std::unique_ptr<Echo::Stub> stub_;
  int64_t baseline_ = 0;
};

struct Received {
  std::vector<EchoMessage> messages;
  grpc::Status status;
  std::multimap<std::string, std::string> initial_metadata;
};

Task<Received> ReadServerStream(Echo::Stub& stub, EchoMessage request) {
  grpc::ClientContext context;
  context.set_deadline(GiveUpDeadline());
  auto stream = ServerStreamingCall(&Echo::Stub::PrepareAsyncServerStream, stub, context, request);
  Received received;
  if (co_await stream.Start()) {
    EchoMessage message;
    while (co_await stream.Read(message)) received.messages.push_back(message);
  }
  received.status = co_await stream.Finish();
  for (const auto& [key, value] : context.GetServerInitialMetadata()) {
    received.initial_metadata.emplace(std::string(key.data(), key.size()),
                                      std::string(value.data(), value.size()));
  }
  co_return received;
}

std::vector<int> Numbers(const std::vector<EchoMessage>& messages) {
  std::vector<int> numbers;
  for (const EchoMessage& message : messages) numbers.push_back(message.number());
  return numbers;
}

TEST(ClientStreams, ServerStreamingReadsEveryMessageThenTheStatus) {
  ClientAndServer test;
  const Received received =
      RunOn(test.client(), ReadServerStream(test.stub(), Message("count", 5)));
  ASSERT_TRUE(received.status.ok()) << received.status.error_message();
  EXPECT_EQ(Numbers(received.messages), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(FramesAfterSettling(test.baseline()), test.baseline());
}

TEST(ClientStreams, ServerStreamingWithInitialMetadataAndWriteAndFinish) {
  ClientAndServer test;
  const Received received =
      RunOn(test.client(), ReadServerStream(test.stub(), Message("metadata", 4)));
  ASSERT_TRUE(received.status.ok()) << received.status.error_message();
  EXPECT_EQ(Numbers(received.messages), (std::vector<int>{0, 1, 2, 3}));
  ASSERT_EQ(received.initial_metadata.count("x-echo-handler"), 1u);
  EXPECT_EQ(received.initial_metadata.find("x-echo-handler")->second, "streaming");
  EXPECT_EQ(FramesAfterSettling(test.baseline()), test.baseline());
}

// WriteAndFinish alone, as the only message: the stream still carries it.
TEST(ClientStreams, ServerStreamingOfOneMessageByWriteAndFinish) {
  ClientAndServer test;
  const Received received =
      RunOn(test.client(), ReadServerStream(test.stub(), Message("metadata", 1)));
  ASSERT_TRUE(received.status.ok()) << received.status.error_message();
  EXPECT_EQ(Numbers(received.messages), (std::vector<int>{0}));
  EXPECT_EQ(FramesAfterSettling(test.baseline()), test.baseline());
}

TEST(ClientStreams, ServerStreamingEndedWithAnErrorAfterSomeMessages) {
  ClientAndServer test;
  const Received received = RunOn(test.client(), ReadServerStream(test.stub(), Message("fail", 3)));
  EXPECT_EQ(Numbers(received.messages), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(received.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(received.status.error_message(), "no more numbers");
  EXPECT_EQ(FramesAfterSettling(test.baseline()), test.baseline());
}

struct Sum {
  grpc::Status status;
  EchoMessage response;
  int accepted_writes = 0;
};

Task<Sum> SendNumbers(Echo::Stub& stub, std::vector<int> numbers) {
  grpc::ClientContext context;
  context.set_deadline(GiveUpDeadline());
  Sum sum;
  auto stream =
      ClientStreamingCall(&Echo::Stub::PrepareAsyncClientStream, stub, context, sum.response);
  if (co_await stream.Start()) {
    bool open = true;
    for (int number : numbers) {
      // Once the server has answered, writes fail; Finish still says why.
      if (!(open = co_await stream.Write(Message("", number)))) break;
      ++sum.accepted_writes;
    }
    if (open) co_await stream.WritesDone();
  }
  sum.status = co_await stream.Finish();
  co_return sum;
}

TEST(ClientStreams, ClientStreamingGetsTheOneResponse) {
  ClientAndServer test;
  const Sum sum = RunOn(test.client(), SendNumbers(test.stub(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  ASSERT_TRUE(sum.status.ok()) << sum.status.error_message();
  EXPECT_EQ(sum.accepted_writes, 10);
  EXPECT_EQ(sum.response.number(), 55);
  EXPECT_EQ(FramesAfterSettling(test.baseline()), test.baseline());
}

TEST(ClientStreams, ClientStreamingWithNoMessages) {
  ClientAndServer test;
  const Sum sum = RunOn(test.client(), SendNumbers(test.stub(), {}));
  ASSERT_TRUE(sum.status.ok()) << sum.status.error_message();
  EXPECT_EQ(sum.response.number(), 0);
  EXPECT_EQ(FramesAfterSettling(test.baseline()), test.baseline());
}

TEST(ClientStreams, ClientStreamingHandlerFinishesWithAnError) {
  ClientAndServer test;
  const Sum sum = RunOn(test.client(), SendNumbers(test.stub(), {1, 2, -3, 4, 5}));
  EXPECT_EQ(sum.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(sum.status.error_message(), "negative number at 2");
  EXPECT_EQ(sum.response.number(), 0);
  EXPECT_EQ(FramesAfterSettling(test.baseline()), test.baseline());
}

TEST(ClientStreams, BidiPingPong) {
  ClientAndServer test;
  auto ping_pong = [](Echo::Stub& stub) -> Task<std::pair<std::vector<int>, grpc::Status>> {
    grpc::ClientContext context;
    context.set_deadline(GiveUpDeadline());
    auto stream = BidiStreamingCall(&Echo::Stub::PrepareAsyncBidi, stub, context);
    std::vector<int> answers;
    if (co_await stream.Start()) {
      EchoMessage answer;
      for (int i = 1; i <= 5; ++i) {
        if (!co_await stream.Write(Message("ping", i))) break;
        if (!co_await stream.Read(answer)) break;
        answers.push_back(answer.number());
      }
      co_await stream.WritesDone();
      // After WritesDone the server ends its stream: one more read is false.
      if (co_await stream.Read(answer)) answers.push_back(-1);
    }
    co_return std::make_pair(answers, co_await stream.Finish());
  };
  const auto [answers, status] = RunOn(test.client(), ping_pong(test.stub()));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answers, (std::vector<int>{2, 4, 6, 8, 10}));
  EXPECT_EQ(FramesAfterSettling(test.baseline()), test.baseline());
}

std::string WriterName(int writer) { return absl::StrCat("w", writer); }

// Several client coroutines write to one bidi stream at once while another
// reads the answers: ClientStream lets writes from many coroutines go out one
// at a time, and a read may be outstanding meanwhile.
TEST(ClientStreams, BidiConcurrentWritersAndAReader) {
  constexpr int kWriters = 4;
  constexpr int kPerWriter = 50;
  ClientAndServer test;
  using Stream = ClientReaderWriter<EchoMessage, EchoMessage>;

  auto write_many = [](Stream& stream, int writer) -> Task<void> {
    for (int i = 0; i < kPerWriter; ++i) {
      const EchoMessage message = Message(WriterName(writer), writer * 1000 + i);
      if (!co_await stream.Write(message)) co_return;
    }
  };
  auto all_writers = [&write_many](Stream& stream) -> Task<void> {
    TaskGroup writers(kWriters);
    for (int writer = 0; writer < kWriters; ++writer) {
      co_await writers.Spawn(write_many(stream, writer));
    }
    co_await writers.Join();
    co_await stream.WritesDone();
  };
  auto read_all = [](Stream& stream, std::vector<EchoMessage>& answers) -> Task<void> {
    EchoMessage answer;
    while (co_await stream.Read(answer)) answers.push_back(answer);
  };
  std::vector<EchoMessage> answers;
  grpc::Status status;
  RunOn(test.client(), [&]() -> Task<void> {
    grpc::ClientContext context;
    context.set_deadline(GiveUpDeadline());
    auto stream = BidiStreamingCall(&Echo::Stub::PrepareAsyncBidi, test.stub(), context);
    if (co_await stream.Start()) {
      TaskGroup both(2);
      co_await both.Spawn(all_writers(stream));
      co_await both.Spawn(read_all(stream, answers));
      co_await both.Join();
    }
    status = co_await stream.Finish();
  }());

  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(answers.size(), static_cast<size_t>(kWriters * kPerWriter));
  std::map<int, int> times_seen;
  for (const EchoMessage& answer : answers) {
    const int sent = answer.number() / 2;
    EXPECT_EQ(answer.number(), 2 * sent);
    EXPECT_EQ(answer.text(), WriterName(sent / 1000));
    ++times_seen[sent];
  }
  ASSERT_EQ(times_seen.size(), static_cast<size_t>(kWriters * kPerWriter));
  for (const auto& [sent, times] : times_seen) EXPECT_EQ(times, 1) << sent;
  EXPECT_EQ(FramesAfterSettling(test.baseline()), test.baseline());
}

}  // namespace
}  // namespace coro
