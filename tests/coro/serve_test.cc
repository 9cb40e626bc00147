// coro::Serve and coro::CallUnary against a real in-process gRPC server on a
// loopback port.
#include "coro/serve.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "coro/alarm.h"
#include "coro/client_unary.h"
#include "coro/completion_queue_threads.h"
#include "tests/coro/echo_server.h"

namespace coro {
namespace {

using namespace test_support;  // the shared echo server and helpers

// An Echo server whose unary handler does what the message's text asks:
// "throw" throws, "sleep" sleeps `number` ms on its queue, anything else echoes.
class EchoServer {
 public:
  explicit EchoServer(int threads, int accepts_per_queue = kDefaultAcceptsPerQueue)
      : server_(threads,
                [this, accepts_per_queue](EchoService& service, CompletionQueueThreads& queues) {
                  Register(service, queues, accepts_per_queue);
                }) {}

  void Shutdown(absl::Duration timeout) { server_.Shutdown(timeout); }
  std::unique_ptr<Echo::Stub> NewStub() const { return server_.NewStub(); }

  std::atomic<int> handlers_running{0};
  std::atomic<int> most_handlers_running{0};
  std::atomic<int> handler_thread_changes{0};

 private:
  void Register(EchoService& service, CompletionQueueThreads& queues, int accepts_per_queue) {
    Serve<&EchoService::RequestUnary>(
        service, queues,
        [this](CallContext&, const EchoMessage& request, EchoMessage& response) {
          return HandleUnary(request, response);
        },
        accepts_per_queue);
    Serve<&EchoService::RequestServerStream>(
        service, queues,
        [](CallContext&, const EchoMessage& request, auto& writer) -> Task<grpc::Status> {
          EchoMessage message;
          for (int i = 0; i < request.number(); ++i) {
            message.set_number(i);
            if (!co_await writer.Write(message)) co_return grpc::Status::CANCELLED;
          }
          co_return grpc::Status::OK;
        });
    Serve<&EchoService::RequestClientStream>(
        service, queues,
        [](CallContext&, auto& reader, EchoMessage& response) -> Task<grpc::Status> {
          EchoMessage message;
          int sum = 0;
          while (co_await reader.Read(message)) sum += message.number();
          response.set_number(sum);
          co_return grpc::Status::OK;
        });
    Serve<&EchoService::RequestBidi>(service, queues,
                                     [](CallContext&, auto& stream) -> Task<grpc::Status> {
                                       EchoMessage message;
                                       while (co_await stream.Read(message)) {
                                         message.set_number(message.number() * 2);
                                         if (!co_await stream.Write(message)) break;
                                       }
                                       co_return grpc::Status::OK;
                                     });
  }

  Task<grpc::Status> HandleUnary(const EchoMessage& request, EchoMessage& response) {
    if (request.text() == "throw") throw std::runtime_error("handler failed on purpose");
    test_support::RaiseTo(most_handlers_running, handlers_running.fetch_add(1) + 1);
    const std::thread::id arrived_on = std::this_thread::get_id();
    if (request.text() == "sleep") co_await Sleep(absl::Milliseconds(request.number()));
    if (std::this_thread::get_id() != arrived_on) handler_thread_changes.fetch_add(1);
    handlers_running.fetch_sub(1);
    response = request;
    co_return grpc::Status::OK;
  }

  test_support::EchoServer server_;  // last: stops before the counters go
};

grpc::Status CallSync(Echo::Stub& stub, const EchoMessage& request, EchoMessage* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return stub.Unary(&context, request, response);
}

TEST(Serve, UnaryRoundTrip) {
  EchoServer server(2);
  auto stub = server.NewStub();
  EchoMessage response;
  ASSERT_TRUE(CallSync(*stub, Message("hello", 5), &response).ok());
  EXPECT_EQ(response.text(), "hello");
  EXPECT_EQ(response.number(), 5);
}

TEST(Serve, AThrowingHandlerEndsItsCallWithInternalAndTheServerGoesOn) {
  EchoServer server(1);
  auto stub = server.NewStub();
  EchoMessage response;
  const grpc::Status failed = CallSync(*stub, Message("throw"), &response);
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(failed.error_message(), "internal error");
  EXPECT_TRUE(CallSync(*stub, Message("after"), &response).ok());
  EXPECT_EQ(response.text(), "after");
}

// Suspended handlers do not hold their thread: with one thread and only two
// outstanding accepts, 200 calls that each sleep are all in their handlers at
// once, and each handler resumes on the thread its call arrived on.
TEST(Serve, ManyCallsWaitAtOnceOnOneThread) {
  constexpr int kCalls = 200;
  EchoServer server(1, /*accepts_per_queue=*/2);
  auto stub = server.NewStub();
  CompletionQueueThreads client_queues(1);
  client_queues.Start();
  std::atomic<int> ok_calls{0};
  std::atomic<int> done{0};
  auto call = [&]() -> Task<void> {
    co_await ResumeOn(client_queues.queue(0));
    grpc::ClientContext context;
    EchoMessage response;
    const EchoMessage request = Message("sleep", 1000);
    const grpc::Status status =
        co_await CallUnary(&Echo::Stub::PrepareAsyncUnary, *stub, context, request, response);
    if (status.ok() && response.number() == 1000) ok_calls.fetch_add(1);
    done.fetch_add(1);
  };
  for (int i = 0; i < kCalls; ++i) Spawn(call());
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (done.load() < kCalls && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  client_queues.Shutdown();
  EXPECT_EQ(ok_calls.load(), kCalls);
  EXPECT_EQ(server.most_handlers_running.load(), kCalls);
  EXPECT_EQ(server.handler_thread_changes.load(), 0);
}

TEST(Serve, ServerStreaming) {
  EchoServer server(2);
  auto stub = server.NewStub();
  grpc::ClientContext context;
  auto reader = stub->ServerStream(&context, Message("", 5));
  EchoMessage message;
  std::vector<int> numbers;
  while (reader->Read(&message)) numbers.push_back(message.number());
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(numbers, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Serve, ClientStreaming) {
  EchoServer server(2);
  auto stub = server.NewStub();
  grpc::ClientContext context;
  EchoMessage response;
  auto writer = stub->ClientStream(&context, &response);
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(writer->Write(Message("", i)));
  ASSERT_TRUE(writer->WritesDone());
  EXPECT_TRUE(writer->Finish().ok());
  EXPECT_EQ(response.number(), 55);
}

TEST(Serve, BidiStreaming) {
  EchoServer server(2);
  auto stub = server.NewStub();
  grpc::ClientContext context;
  auto stream = stub->Bidi(&context);
  EchoMessage message;
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(stream->Write(Message("", i)));
    ASSERT_TRUE(stream->Read(&message));
    EXPECT_EQ(message.number(), 2 * i);
  }
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&message));
  EXPECT_TRUE(stream->Finish().ok());
}

// A raw method (the generated WithRawMethod_X) is served like any other: the
// RequestX signature says grpc::ByteBuffer for request and response, and so
// do the handler's stream and response. The handler parses and serializes
// each message itself, which is how it tells a message it cannot parse from
// the end of the stream (gRPC reports both as a failed Read of a typed one).
using RawStreamsService = Echo::WithAsyncMethod_Unary<Echo::WithAsyncMethod_ServerStream<
    Echo::WithRawMethod_ClientStream<Echo::WithRawMethod_Bidi<Echo::Service>>>>;

bool Parse(grpc::ByteBuffer& raw, EchoMessage& message) {
  return grpc::SerializationTraits<EchoMessage>::Deserialize(&raw, &message).ok();
}

grpc::ByteBuffer Serialized(const EchoMessage& message) {
  grpc::ByteBuffer raw;
  bool own_buffer = false;
  EXPECT_TRUE(grpc::SerializationTraits<EchoMessage>::Serialize(message, &raw, &own_buffer).ok());
  return raw;
}

void ServeRawStreams(RawStreamsService& service, CompletionQueueThreads& queues) {
  Serve<&RawStreamsService::RequestClientStream>(
      service, queues,
      [](CallContext&, ServerReader<grpc::ByteBuffer, grpc::ByteBuffer>& reader,
         grpc::ByteBuffer& response) -> Task<grpc::Status> {
        grpc::ByteBuffer raw;
        EchoMessage message;
        int sum = 0;
        while (co_await reader.Read(raw)) {
          if (!Parse(raw, message)) co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "");
          sum += message.number();
        }
        message.set_number(sum);
        response = Serialized(message);
        co_return grpc::Status::OK;
      });
  Serve<&RawStreamsService::RequestBidi>(
      service, queues,
      [](CallContext&,
         ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>& stream) -> Task<grpc::Status> {
        grpc::ByteBuffer raw;
        EchoMessage message;
        while (co_await stream.Read(raw)) {
          if (!Parse(raw, message)) co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "");
          message.set_number(message.number() * 2);
          const grpc::ByteBuffer reply = Serialized(message);
          const bool written = co_await stream.Write(reply);
          if (!written) break;
        }
        co_return grpc::Status::OK;
      });
}

TEST(Serve, RawClientStreamingAndBidiHandOverBytes) {
  BasicEchoServer<RawStreamsService> server(2, ServeRawStreams);
  auto stub = server.NewStub();
  {
    grpc::ClientContext context;
    EchoMessage response;
    auto writer = stub->ClientStream(&context, &response);
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE(writer->Write(Message("", i)));
    ASSERT_TRUE(writer->WritesDone());
    EXPECT_TRUE(writer->Finish().ok());
    EXPECT_EQ(response.number(), 55);
  }
  grpc::ClientContext context;
  auto stream = stub->Bidi(&context);
  EchoMessage message;
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(stream->Write(Message("", i)));
    ASSERT_TRUE(stream->Read(&message));
    EXPECT_EQ(message.number(), 2 * i);
  }
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&message));
  EXPECT_TRUE(stream->Finish().ok());
}

// A raw method with one request hands the handler its bytes, mutable so it
// parses them in place, even bytes that do not parse: a typed method's
// request that does not parse is answered by gRPC (INTERNAL, "Unable to
// parse request") before any handler runs.
using RawOneRequestService =
    Echo::WithRawMethod_Unary<Echo::WithRawMethod_ServerStream<Echo::Service>>;

void ServeRawOneRequest(RawOneRequestService& service, CompletionQueueThreads& queues) {
  Serve<&RawOneRequestService::RequestUnary>(
      service, queues,
      [](CallContext&, grpc::ByteBuffer& request,
         grpc::ByteBuffer& response) -> Task<grpc::Status> {
        EchoMessage message;
        if (!Parse(request, message)) {
          co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "seen, not parsed");
        }
        response = Serialized(message);
        co_return grpc::Status::OK;
      });
  Serve<&RawOneRequestService::RequestServerStream>(
      service, queues,
      [](CallContext&, grpc::ByteBuffer& request,
         ServerWriter<grpc::ByteBuffer>& stream) -> Task<grpc::Status> {
        EchoMessage message;
        if (!Parse(request, message)) {
          co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "seen, not parsed");
        }
        for (int i = 0; i < message.number(); ++i) {
          const grpc::ByteBuffer reply = Serialized(message);
          const bool written = co_await stream.Write(reply);
          if (!written) break;
        }
        co_return grpc::Status::OK;
      });
}

TEST(Serve, RawUnaryAndServerStreamingHandOverTheRequestBytesEvenWhenTheyDoNotParse) {
  BasicEchoServer<RawOneRequestService> server(2, ServeRawOneRequest);
  auto stub = server.NewStub();
  // A proto3 string that is not UTF-8: protobuf serializes it (logging an
  // error) and refuses to parse it.
  const EchoMessage not_utf8 = Message("\xff\xfe", 2);
  for (const EchoMessage& request : {Message("hello", 2), not_utf8}) {
    const bool parses = request.text() == "hello";
    grpc::ClientContext unary_context;
    EchoMessage response;
    const grpc::Status unary = stub->Unary(&unary_context, request, &response);
    EXPECT_EQ(unary.error_code(),
              parses ? grpc::StatusCode::OK : grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(unary.error_message(), parses ? "" : "seen, not parsed");
    if (parses) {
      EXPECT_EQ(response.text(), "hello");
    }

    grpc::ClientContext stream_context;
    auto reader = stub->ServerStream(&stream_context, request);
    int received = 0;
    while (reader->Read(&response)) ++received;
    const grpc::Status streamed = reader->Finish();
    EXPECT_EQ(received, parses ? 2 : 0);
    EXPECT_EQ(streamed.error_code(),
              parses ? grpc::StatusCode::OK : grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(streamed.error_message(), parses ? "" : "seen, not parsed");
  }
}

// Shutdown lets a call in progress finish within the deadline...
TEST(Serve, ShutdownLetsInFlightCallsFinish) {
  auto server = std::make_unique<EchoServer>(1);
  auto stub = server->NewStub();
  grpc::Status status;
  EchoMessage response;
  std::thread client([&] { status = CallSync(*stub, Message("sleep", 300), &response); });
  while (server->handlers_running.load() == 0) absl::SleepFor(absl::Milliseconds(1));
  server->Shutdown(absl::Seconds(10));
  client.join();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.number(), 300);
}

// ...and does not wait for clients that merely keep a connection open.
TEST(Serve, ShutdownDoesNotWaitForIdleConnections) {
  auto server = std::make_unique<EchoServer>(1);
  auto stub = server->NewStub();
  EchoMessage response;
  ASSERT_TRUE(CallSync(*stub, Message("warm up"), &response).ok());
  const absl::Time start = absl::Now();
  server->Shutdown(absl::Seconds(60));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

// ...and past the deadline cancels it, while the handler still completes
// safely (its alarm keeps firing until the queues stop).
TEST(Serve, ShutdownPastTheDeadlineCancelsInFlightCalls) {
  auto server = std::make_unique<EchoServer>(1);
  auto stub = server->NewStub();
  grpc::Status status;
  EchoMessage response;
  std::thread client([&] { status = CallSync(*stub, Message("sleep", 1000), &response); });
  while (server->handlers_running.load() == 0) absl::SleepFor(absl::Milliseconds(1));
  server->Shutdown(absl::ZeroDuration());
  client.join();
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(server->handlers_running.load(), 0);
}

}  // namespace
}  // namespace coro
