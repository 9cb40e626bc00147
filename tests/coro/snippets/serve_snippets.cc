// The examples in coro/serve.h and coro/task_group.h, compiled and run: a
// handler of each kind of call, served over loopback and called. Each region
// between snippet markers is copied verbatim into a header comment.
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "coro/call_context.h"
#include "coro/client_streams.h"
#include "coro/client_unary.h"
#include "coro/serve.h"
#include "coro/server_streams.h"
#include "coro/task.h"
#include "coro/task_group.h"
#include "tests/coro/echo_server.h"

namespace snippets {
namespace {

using coro::test::Echo;
using coro::test::EchoMessage;
using coro::test_support::EchoServer;
using coro::test_support::GiveUpDeadline;
using coro::test_support::Message;
using coro::test_support::RunOn;

using Request = EchoMessage;
using Response = EchoMessage;

// clang-format off
// snippet: serve-handler-signatures
coro::Task<grpc::Status> Unary(coro::CallContext&, const Request&, Response&);
coro::Task<grpc::Status> ServerStreaming(coro::CallContext&, const Request&,
                                         coro::ServerWriter<Response>&);
coro::Task<grpc::Status> ClientStreaming(coro::CallContext&,
                                         coro::ServerReader<Request, Response>&, Response&);
coro::Task<grpc::Status> BidiStreaming(coro::CallContext&,
                                       coro::ServerReaderWriter<Response, Request>&);
// end snippet
// clang-format on

coro::Task<grpc::Status> Unary(coro::CallContext&, const Request& request, Response& response) {
  response.set_text(request.text());
  co_return grpc::Status::OK;
}

coro::Task<grpc::Status> ServerStreaming(coro::CallContext&, const Request& request,
                                         coro::ServerWriter<Response>& stream) {
  for (int i = 0; i < request.number(); ++i) {
    if (!co_await stream.Write(Message(request.text(), i))) co_return grpc::Status::CANCELLED;
  }
  co_return grpc::Status::OK;
}

coro::Task<grpc::Status> ClientStreaming(coro::CallContext&,
                                         coro::ServerReader<Request, Response>& stream,
                                         Response& response) {
  Request request;
  while (co_await stream.Read(request)) response.set_number(response.number() + request.number());
  co_return grpc::Status::OK;
}

// Answers one request; the request is a copy, as the next Read overwrites the
// handler's own.
coro::Task<void> Answer(coro::ServerReaderWriter<Response, Request>& stream, Request request) {
  request.set_number(request.number() * 2);
  co_await stream.Write(request);
}

coro::Task<grpc::Status> BidiStreaming(coro::CallContext&,
                                       coro::ServerReaderWriter<Response, Request>& stream) {
  // snippet: task-group
  coro::TaskGroup group(64);
  Request request;
  while (co_await stream.Read(request)) co_await group.Spawn(Answer(stream, request));
  co_await group.Join();  // rethrows the first child's exception, if any
  // end snippet
  co_return grpc::Status::OK;
}

void ServeAllKinds(Echo::AsyncService& service, coro::CompletionQueueThreads& queues) {
  coro::Serve<&Echo::AsyncService::RequestUnary>(service, queues, Unary);
  coro::Serve<&Echo::AsyncService::RequestServerStream>(service, queues, ServerStreaming);
  coro::Serve<&Echo::AsyncService::RequestClientStream>(service, queues, ClientStreaming);
  coro::Serve<&Echo::AsyncService::RequestBidi>(service, queues, BidiStreaming);
}

TEST(Snippets, AHandlerOfEachKindServesItsCalls) {
  EchoServer server(2, ServeAllKinds);
  auto stub = server.NewStub();
  coro::CompletionQueueThreads client_queues(1);
  client_queues.Start();

  auto unary = [&]() -> coro::Task<std::string> {
    grpc::ClientContext context;
    context.set_deadline(GiveUpDeadline());
    Response response;
    const grpc::Status status = co_await coro::CallUnary(&Echo::Stub::PrepareAsyncUnary, *stub,
                                                         context, Message("unary"), response);
    co_return status.ok() ? response.text() : status.error_message();
  };
  EXPECT_EQ(RunOn(client_queues, unary()), "unary");

  auto server_streaming = [&]() -> coro::Task<int> {
    grpc::ClientContext context;
    context.set_deadline(GiveUpDeadline());
    auto stream = coro::ServerStreamingCall(&Echo::Stub::PrepareAsyncServerStream, *stub, context,
                                            Message("n", 3));
    if (!co_await stream.Start()) co_return -1;
    int received = 0;
    Response response;
    while (co_await stream.Read(response)) ++received;
    co_return (co_await stream.Finish()).ok() ? received : -1;
  };
  EXPECT_EQ(RunOn(client_queues, server_streaming()), 3);

  auto client_streaming = [&]() -> coro::Task<int> {
    grpc::ClientContext context;
    context.set_deadline(GiveUpDeadline());
    Response response;
    auto stream =
        coro::ClientStreamingCall(&Echo::Stub::PrepareAsyncClientStream, *stub, context, response);
    if (!co_await stream.Start()) co_return -1;
    for (int i = 1; i <= 4; ++i) co_await stream.Write(Message("n", i));
    co_await stream.WritesDone();
    co_return (co_await stream.Finish()).ok() ? response.number() : -1;
  };
  EXPECT_EQ(RunOn(client_queues, client_streaming()), 10);

  auto bidi_streaming = [&]() -> coro::Task<std::vector<int>> {
    grpc::ClientContext context;
    context.set_deadline(GiveUpDeadline());
    auto stream = coro::BidiStreamingCall(&Echo::Stub::PrepareAsyncBidi, *stub, context);
    std::vector<int> doubled;
    if (!co_await stream.Start()) co_return doubled;
    for (int i = 1; i <= 3; ++i) co_await stream.Write(Message("n", i));
    co_await stream.WritesDone();
    Response response;
    while (co_await stream.Read(response)) doubled.push_back(response.number());
    co_await stream.Finish();
    co_return doubled;
  };
  std::vector<int> doubled = RunOn(client_queues, bidi_streaming());
  std::sort(doubled.begin(), doubled.end());  // the group answers in any order
  EXPECT_EQ(doubled, (std::vector<int>{2, 4, 6}));
}

}  // namespace
}  // namespace snippets
