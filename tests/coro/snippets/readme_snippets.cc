// The example in coro/README.md, compiled and run. The region between the
// snippet markers is copied verbatim into the README; check_snippets.py fails
// the tests when the two differ.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "coro/alarm.h"
#include "coro/call_context.h"
#include "coro/completion_queue_threads.h"
#include "coro/echo.grpc.pb.h"
#include "coro/serve.h"
#include "coro/server_shutdown.h"
#include "coro/task.h"

namespace snippets {
namespace {

using coro::test::Echo;
using coro::test::EchoMessage;

// snippet: readme-server
// A handler reads as sequential code; while it waits, its thread serves others.
coro::Task<grpc::Status> Unary(coro::CallContext& call, const EchoMessage& request,
                               EchoMessage& response) {
  const bool slept = co_await coro::Sleep(absl::Milliseconds(1), call.cancellation());
  if (!slept) co_return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while waiting");
  response.set_text(request.text());
  co_return grpc::Status::OK;
}

// In this order the server is destroyed first, then the queues, then the
// service the handlers were registered with.
void RunEchoServer(absl::FunctionRef<void(int port)> while_serving) {
  Echo::AsyncService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  coro::CompletionQueueThreads queues(builder, /*count=*/2);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  coro::Serve<&Echo::AsyncService::RequestUnary>(service, queues, Unary);
  queues.Start();
  while_serving(port);
  coro::ShutdownServer(*server, queues, absl::Now() + absl::Seconds(5));
}
// end snippet

TEST(Snippets, ReadmeServerAnswersAndShutsDown) {
  std::string answer;
  grpc::Status status;
  RunEchoServer([&](int port) {
    auto stub = Echo::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                  grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    EchoMessage request;
    request.set_text("hello");
    EchoMessage response;
    status = stub->Unary(&context, request, &response);
    answer = response.text();
  });
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answer, "hello");
}

}  // namespace
}  // namespace snippets
