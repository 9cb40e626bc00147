// The examples in coro/client_unary.h and coro/client_streams.h, compiled and
// run against an Echo server. Each region between snippet markers is copied
// verbatim into a header comment.
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "coro/client_streams.h"
#include "coro/client_unary.h"
#include "coro/serve.h"
#include "coro/task.h"
#include "tests/coro/echo_server.h"

namespace snippets {
namespace {

using coro::test::Echo;
using coro::test::EchoMessage;
using coro::test_support::EchoServer;
using coro::test_support::GiveUpDeadline;
using coro::test_support::Message;
using coro::test_support::RunOn;

coro::Task<std::string> AskOnce(Echo::Stub& stub, const EchoMessage& request) {
  // snippet: call-unary
  grpc::ClientContext context;
  EchoMessage response;
  grpc::Status status =
      co_await coro::CallUnary(&Echo::Stub::PrepareAsyncUnary, stub, context, request, response);
  // end snippet
  co_return status.ok() ? response.text() : status.error_message();
}

coro::Task<std::vector<std::string>> ReadAll(Echo::Stub& stub, const EchoMessage& request) {
  grpc::ClientContext context;
  context.set_deadline(GiveUpDeadline());
  std::vector<std::string> texts;
  // snippet: server-streaming-call
  auto stream =
      coro::ServerStreamingCall(&Echo::Stub::PrepareAsyncServerStream, stub, context, request);
  co_await stream.Start();
  EchoMessage response;
  while (co_await stream.Read(response)) texts.push_back(response.text());
  grpc::Status status = co_await stream.Finish();
  // end snippet
  if (!status.ok()) texts.push_back(status.error_message());
  co_return texts;
}

void ServeEcho(Echo::AsyncService& service, coro::CompletionQueueThreads& queues) {
  coro::Serve<&Echo::AsyncService::RequestUnary>(
      service, queues,
      [](coro::CallContext&, const EchoMessage& request,
         EchoMessage& response) -> coro::Task<grpc::Status> {
        response.set_text(request.text());
        co_return grpc::Status::OK;
      });
  coro::Serve<&Echo::AsyncService::RequestServerStream>(
      service, queues,
      [](coro::CallContext&, const EchoMessage& request,
         coro::ServerWriter<EchoMessage>& stream) -> coro::Task<grpc::Status> {
        for (int i = 0; i < request.number(); ++i) co_await stream.Write(request);
        co_return grpc::Status::OK;
      });
}

TEST(Snippets, CallUnaryAndServerStreamingCall) {
  EchoServer server(1, ServeEcho);
  auto stub = server.NewStub();
  coro::CompletionQueueThreads client_queues(1);
  client_queues.Start();
  EXPECT_EQ(RunOn(client_queues, AskOnce(*stub, Message("once"))), "once");
  EXPECT_EQ(RunOn(client_queues, ReadAll(*stub, Message("again", 3))),
            (std::vector<std::string>{"again", "again", "again"}));
}

}  // namespace
}  // namespace snippets
