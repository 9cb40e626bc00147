// CallUnary: a unary client call as an awaitable, resumed on the thread of the
// completion queue it was started on (by default the caller's own).
//
//   grpc::ClientContext context;
//   EchoMessage response;
//   grpc::Status status =
//       co_await coro::CallUnary(&Echo::Stub::PrepareAsyncUnary, stub, context, request, response);
//
// The task is lazy and keeps references: stub, context, request and response
// must outlive the co_await, as they naturally do when awaited at once.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/status.h>

#include <memory>

#include "coro/completion_queue_threads.h"
#include "coro/operation.h"
#include "coro/task.h"

namespace coro {

template <typename Stub, typename Request, typename Response>
using PrepareUnary = std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (Stub::*)(
    grpc::ClientContext*, const Request&, grpc::CompletionQueue*);

template <typename Stub, typename Request, typename Response>
Task<grpc::Status> CallUnary(PrepareUnary<Stub, Request, Response> prepare, Stub& stub,
                             grpc::ClientContext& context, const Request& request,
                             Response& response,
                             grpc::CompletionQueue* queue = CompletionQueueThreads::Current()) {
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader =
      (stub.*prepare)(&context, request, queue);
  reader->StartCall();
  grpc::Status status;
  co_await detail::Await([&](void* tag) { reader->Finish(&response, &status, tag); });
  co_return status;
}

}  // namespace coro
