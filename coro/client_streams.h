// Streaming client calls as awaitables, resumed on the thread of the queue
// they were started on (by default the caller's own):
//
//   auto stream =
//       coro::ServerStreamingCall(&Echo::Stub::PrepareAsyncServerStream, stub, context, request);
//   co_await stream.Start();
//   EchoMessage response;
//   while (co_await stream.Read(response)) texts.push_back(response.text());
//   grpc::Status status = co_await stream.Finish();
//
// ClientStreamingCall and BidiStreamingCall work the same way, with Write and
// WritesDone. Reads go one at a time; writes from several coroutines go out
// one at a time. Deadline: set it on the ClientContext; cancel with
// context.TryCancel() from any thread, after which every await ends promptly.
// The stub, context and messages must outlive the stream.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/support/async_stream.h>
#include <grpcpp/support/status.h>

#include <coroutine>
#include <memory>
#include <utility>

#include "coro/async_mutex.h"
#include "coro/completion_queue_threads.h"
#include "coro/operation.h"
#include "coro/task.h"

namespace coro {
namespace detail {

template <typename Stream>
class FinishAwaiter final : public ResumeOnCompletion {
 public:
  explicit FinishAwaiter(Stream& stream) : stream_(stream) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> waiting) {
    waiting_ = waiting;
    stream_.Finish(&status_, tag());
  }
  grpc::Status await_resume() { return std::move(status_); }

 private:
  Stream& stream_;
  grpc::Status status_;
};

}  // namespace detail

// One client stream of any kind. Only the operations the kind has compile:
// Read for server and bidi streaming, Write and WritesDone for client and bidi.
template <typename Stream>
class ClientStream {
 public:
  explicit ClientStream(std::unique_ptr<Stream> stream) : stream_(std::move(stream)) {}

  // Starts the call; false if it could not start (Finish says why).
  auto Start() {
    return detail::Await([this](void* tag) { stream_->StartCall(tag); });
  }

  // false at the end of the server's stream or when the call failed.
  template <typename Response>
  auto Read(Response& message) {
    return detail::Await([this, &message](void* tag) { stream_->Read(&message, tag); });
  }

  template <typename Request>
  Task<bool> Write(const Request& message) {
    AsyncMutex::Guard turn = co_await turn_.Lock();
    co_return co_await detail::Await([&](void* tag) { stream_->Write(message, tag); });
  }

  // No more writes: the server's Read then yields false.
  Task<bool> WritesDone() {
    AsyncMutex::Guard turn = co_await turn_.Lock();
    co_return co_await detail::Await([this](void* tag) { stream_->WritesDone(tag); });
  }

  // The call's status, once the server has finished it.
  detail::FinishAwaiter<Stream> Finish() { return detail::FinishAwaiter<Stream>(*stream_); }

 private:
  std::unique_ptr<Stream> stream_;
  AsyncMutex turn_;  // one write outstanding at a time
};

template <typename Response>
using ClientReader = ClientStream<grpc::ClientAsyncReader<Response>>;
template <typename Request>
using ClientWriter = ClientStream<grpc::ClientAsyncWriter<Request>>;
template <typename Request, typename Response>
using ClientReaderWriter = ClientStream<grpc::ClientAsyncReaderWriter<Request, Response>>;

template <typename Stub, typename Request, typename Response>
ClientReader<Response> ServerStreamingCall(
    std::unique_ptr<grpc::ClientAsyncReader<Response>> (Stub::*prepare)(grpc::ClientContext*,
                                                                        const Request&,
                                                                        grpc::CompletionQueue*),
    Stub& stub, grpc::ClientContext& context, const Request& request,
    grpc::CompletionQueue* queue = CompletionQueueThreads::Current()) {
  return ClientReader<Response>((stub.*prepare)(&context, request, queue));
}

// The server's single response lands in `response` once Finish() is OK.
template <typename Stub, typename Request, typename Response>
ClientWriter<Request> ClientStreamingCall(
    std::unique_ptr<grpc::ClientAsyncWriter<Request>> (Stub::*prepare)(grpc::ClientContext*,
                                                                       Response*,
                                                                       grpc::CompletionQueue*),
    Stub& stub, grpc::ClientContext& context, Response& response,
    grpc::CompletionQueue* queue = CompletionQueueThreads::Current()) {
  return ClientWriter<Request>((stub.*prepare)(&context, &response, queue));
}

template <typename Stub, typename Request, typename Response>
ClientReaderWriter<Request, Response> BidiStreamingCall(
    std::unique_ptr<grpc::ClientAsyncReaderWriter<Request, Response>> (Stub::*prepare)(
        grpc::ClientContext*, grpc::CompletionQueue*),
    Stub& stub, grpc::ClientContext& context,
    grpc::CompletionQueue* queue = CompletionQueueThreads::Current()) {
  return ClientReaderWriter<Request, Response>((stub.*prepare)(&context, queue));
}

}  // namespace coro
