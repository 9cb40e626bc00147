// Serve<&Service::AsyncService::RequestX>(service, queues, handler): serves one
// method of any generated service with a coroutine handler, for each of the
// four kinds of call. The member pointer names the method and carries every
// type; there is no per-method glue.
//
// A handler's signature says which kind of call it serves (note the order of
// Request and Response in each stream type):
//
//   coro::Task<grpc::Status> Unary(coro::CallContext&, const Request&, Response&);
//   coro::Task<grpc::Status> ServerStreaming(coro::CallContext&, const Request&,
//                                            coro::ServerWriter<Response>&);
//   coro::Task<grpc::Status> ClientStreaming(coro::CallContext&,
//                                            coro::ServerReader<Request, Response>&, Response&);
//   coro::Task<grpc::Status> BidiStreaming(coro::CallContext&,
//                                          coro::ServerReaderWriter<Response, Request>&);
//
// The returned status ends the call (unless the handler finished the stream
// itself). A handler that throws ends its call with INTERNAL; the server goes on.
//
// A raw method (the generated WithRawMethod_X) is served the same way, its
// Request and Response grpc::ByteBuffer: the handler parses each message
// itself, so it can tell one that does not parse from the end of the stream
// (a typed Read reports both as false), and sees a unary or server-streaming
// request that does not parse, which gRPC's async API would answer (INTERNAL)
// and drop before any handler ran. Such a request comes as a mutable
// grpc::ByteBuffer&, for the handler to parse in place.
//
// Each accepted call is one Detached coroutine that lives exactly as long as
// the call, runs on the thread of the queue the call arrived on, and first of
// all posts its own replacement accept, so `accepts_per_queue` requests stay
// outstanding per method and queue and a burst is not serialized behind one.
#pragma once

#include <grpc/support/log.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/async_stream.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include <exception>
#include <type_traits>
#include <utility>

#include "coro/call_context.h"
#include "coro/completion_queue_threads.h"
#include "coro/detached.h"
#include "coro/operation.h"
#include "coro/server_streams.h"
#include "coro/task.h"

namespace coro {

inline constexpr int kDefaultAcceptsPerQueue = 16;

namespace detail {

// One specialization per kind of call, matched on the generated RequestX
// signature. Each knows how to ask gRPC for the next call, how to invoke the
// handler, and how to end the call with the handler's status.
template <typename RequestMethod>
struct ServerCall;

// The request as the handler gets it: const, or for a raw method mutable
// bytes (see above).
template <typename Request>
auto& ForHandler(Request& request) {
  if constexpr (std::is_same_v<Request, grpc::ByteBuffer>) {
    return request;
  } else {
    return std::as_const(request);
  }
}

template <typename Service, typename Request, typename Response>
struct ServerCall<void (Service::*)(grpc::ServerContext*, Request*,
                                    grpc::ServerAsyncResponseWriter<Response>*,
                                    grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*)> {
  using ServiceType = Service;
  CallContext call;
  Request request;
  Response response;
  grpc::ServerAsyncResponseWriter<Response> responder{CallContextAccess::ServerContext(call)};

  template <typename Method>
  void Accept(Service& service, Method method, grpc::ServerCompletionQueue* queue, void* tag) {
    CallContextAccess::NotifyWhenDone(call);
    (service.*method)(CallContextAccess::ServerContext(call), &request, &responder, queue, queue,
                      tag);
  }
  template <typename Handler>
  Task<grpc::Status> Invoke(Handler& handler) {
    return handler(call, ForHandler(request), response);
  }
  Task<void> Finish(grpc::Status status) {
    co_await Await([&](void* tag) {
      if (status.ok()) {
        responder.Finish(response, status, tag);
      } else {
        responder.FinishWithError(status, tag);
      }
    });
  }
};

template <typename Service, typename Request, typename Response>
struct ServerCall<void (Service::*)(grpc::ServerContext*, Request*,
                                    grpc::ServerAsyncWriter<Response>*, grpc::CompletionQueue*,
                                    grpc::ServerCompletionQueue*, void*)> {
  using ServiceType = Service;
  CallContext call;
  Request request;
  grpc::ServerAsyncWriter<Response> responder{CallContextAccess::ServerContext(call)};
  ServerWriter<Response> stream{responder};

  template <typename Method>
  void Accept(Service& service, Method method, grpc::ServerCompletionQueue* queue, void* tag) {
    CallContextAccess::NotifyWhenDone(call);
    (service.*method)(CallContextAccess::ServerContext(call), &request, &responder, queue, queue,
                      tag);
  }
  template <typename Handler>
  Task<grpc::Status> Invoke(Handler& handler) {
    return handler(call, ForHandler(request), stream);
  }
  Task<void> Finish(grpc::Status status) { co_await stream.Finish(std::move(status)); }
};

template <typename Service, typename Request, typename Response>
struct ServerCall<void (Service::*)(grpc::ServerContext*,
                                    grpc::ServerAsyncReader<Response, Request>*,
                                    grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*)> {
  using ServiceType = Service;
  CallContext call;
  Response response;
  grpc::ServerAsyncReader<Response, Request> responder{CallContextAccess::ServerContext(call)};
  ServerReader<Request, Response> stream{responder, call};

  template <typename Method>
  void Accept(Service& service, Method method, grpc::ServerCompletionQueue* queue, void* tag) {
    CallContextAccess::NotifyWhenDone(call);
    (service.*method)(CallContextAccess::ServerContext(call), &responder, queue, queue, tag);
  }
  template <typename Handler>
  Task<grpc::Status> Invoke(Handler& handler) {
    return handler(call, stream, response);
  }
  Task<void> Finish(grpc::Status status) {
    if (status.ok()) {
      co_await stream.Finish(response, std::move(status));
    } else {
      co_await stream.FinishWithError(std::move(status));
    }
  }
};

template <typename Service, typename Request, typename Response>
struct ServerCall<void (Service::*)(grpc::ServerContext*,
                                    grpc::ServerAsyncReaderWriter<Response, Request>*,
                                    grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*)> {
  using ServiceType = Service;
  CallContext call;
  grpc::ServerAsyncReaderWriter<Response, Request> responder{
      CallContextAccess::ServerContext(call)};
  ServerReaderWriter<Response, Request> stream{responder, call};

  template <typename Method>
  void Accept(Service& service, Method method, grpc::ServerCompletionQueue* queue, void* tag) {
    CallContextAccess::NotifyWhenDone(call);
    (service.*method)(CallContextAccess::ServerContext(call), &responder, queue, queue, tag);
  }
  template <typename Handler>
  Task<grpc::Status> Invoke(Handler& handler) {
    return handler(call, stream);
  }
  Task<void> Finish(grpc::Status status) { co_await stream.Finish(std::move(status)); }
};

template <auto RequestMethod>
using ServerCallFor = ServerCall<decltype(RequestMethod)>;

template <auto RequestMethod, typename Handler>
Detached AcceptAndServe(typename ServerCallFor<RequestMethod>::ServiceType& service,
                        grpc::ServerCompletionQueue* queue,
                        CompletionQueueThreads::KeepAlive keep_alive, Handler handler) {
  ServerCallFor<RequestMethod> server_call;
  const bool accepted =
      co_await Await([&](void* tag) { server_call.Accept(service, RequestMethod, queue, tag); });
  // Not accepted: the server is shutting down, and gRPC sends no done tag.
  if (!accepted) co_return;
  AcceptAndServe<RequestMethod>(service, queue, keep_alive, handler);

  grpc::Status status;
  try {
    status = co_await server_call.Invoke(handler);
  } catch (const std::exception& error) {
    gpr_log(GPR_ERROR, "handler threw: %s", error.what());
    status = grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  } catch (...) {
    gpr_log(GPR_ERROR, "handler threw a non-std::exception");
    status = grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
  // Finishing fails only when the client is gone; there is nobody to tell.
  co_await server_call.Finish(std::move(status));
  co_await CallContextAccess::WhenDone(server_call.call);
}

}  // namespace detail

template <auto RequestMethod, typename Handler>
void Serve(typename detail::ServerCallFor<RequestMethod>::ServiceType& service,
           CompletionQueueThreads& queues, Handler handler,
           int accepts_per_queue = kDefaultAcceptsPerQueue) {
  for (int i = 0; i < queues.size(); ++i) {
    for (int n = 0; n < accepts_per_queue; ++n) {
      detail::AcceptAndServe<RequestMethod>(service, queues.server_queue(i), queues.keep_alive(),
                                            handler);
    }
  }
}

}  // namespace coro
