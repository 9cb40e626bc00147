// Serve<&Service::AsyncService::RequestX>(service, queues, handler): serves one
// method of any generated service with a coroutine handler, for each of the
// four kinds of call. The member pointer names the method and carries every
// type; there is no per-method glue.
//
// Handler signatures, by kind (each returns coro::Task<grpc::Status>):
//   unary             (grpc::ServerContext&, const Request&, Response&)
//   server streaming  (grpc::ServerContext&, const Request&, coro::ServerWriter<Response,...>&)
//   client streaming  (grpc::ServerContext&, coro::ServerReader<Request,...>&, Response&)
//   bidi streaming    (grpc::ServerContext&, coro::ServerReaderWriter<Response, Request>&)
// The returned status ends the call. A handler that throws ends it with
// INTERNAL; the server goes on serving.
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
#include <grpcpp/support/status.h>

#include <exception>

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
// handler, and how to finish the call with the handler's status.
template <typename RequestMethod>
struct ServerCall;

template <typename Service, typename Request, typename Response>
struct ServerCall<void (Service::*)(grpc::ServerContext*, Request*,
                                    grpc::ServerAsyncResponseWriter<Response>*,
                                    grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*)> {
  using ServiceType = Service;
  grpc::ServerContext context;
  Request request;
  Response response;
  grpc::ServerAsyncResponseWriter<Response> responder{&context};

  template <typename Method>
  void Accept(Service& service, Method method, grpc::ServerCompletionQueue* queue, void* tag) {
    (service.*method)(&context, &request, &responder, queue, queue, tag);
  }
  template <typename Handler>
  Task<grpc::Status> Invoke(Handler& handler) {
    return handler(context, std::as_const(request), response);
  }
  void Finish(const grpc::Status& status, void* tag) {
    if (status.ok()) {
      responder.Finish(response, status, tag);
    } else {
      responder.FinishWithError(status, tag);
    }
  }
};

template <typename Service, typename Request, typename Response>
struct ServerCall<void (Service::*)(grpc::ServerContext*, Request*,
                                    grpc::ServerAsyncWriter<Response>*, grpc::CompletionQueue*,
                                    grpc::ServerCompletionQueue*, void*)> {
  using ServiceType = Service;
  using Responder = grpc::ServerAsyncWriter<Response>;
  grpc::ServerContext context;
  Request request;
  Responder responder{&context};
  ServerWriter<Response, Responder> writer{responder};

  template <typename Method>
  void Accept(Service& service, Method method, grpc::ServerCompletionQueue* queue, void* tag) {
    (service.*method)(&context, &request, &responder, queue, queue, tag);
  }
  template <typename Handler>
  Task<grpc::Status> Invoke(Handler& handler) {
    return handler(context, std::as_const(request), writer);
  }
  void Finish(const grpc::Status& status, void* tag) { responder.Finish(status, tag); }
};

template <typename Service, typename Request, typename Response>
struct ServerCall<void (Service::*)(grpc::ServerContext*,
                                    grpc::ServerAsyncReader<Response, Request>*,
                                    grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*)> {
  using ServiceType = Service;
  using Responder = grpc::ServerAsyncReader<Response, Request>;
  grpc::ServerContext context;
  Response response;
  Responder responder{&context};
  ServerReader<Request, Responder> reader{responder};

  template <typename Method>
  void Accept(Service& service, Method method, grpc::ServerCompletionQueue* queue, void* tag) {
    (service.*method)(&context, &responder, queue, queue, tag);
  }
  template <typename Handler>
  Task<grpc::Status> Invoke(Handler& handler) {
    return handler(context, reader, response);
  }
  void Finish(const grpc::Status& status, void* tag) {
    if (status.ok()) {
      responder.Finish(response, status, tag);
    } else {
      responder.FinishWithError(status, tag);
    }
  }
};

template <typename Service, typename Request, typename Response>
struct ServerCall<void (Service::*)(grpc::ServerContext*,
                                    grpc::ServerAsyncReaderWriter<Response, Request>*,
                                    grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*)> {
  using ServiceType = Service;
  grpc::ServerContext context;
  grpc::ServerAsyncReaderWriter<Response, Request> responder{&context};
  ServerReaderWriter<Response, Request> stream{responder};

  template <typename Method>
  void Accept(Service& service, Method method, grpc::ServerCompletionQueue* queue, void* tag) {
    (service.*method)(&context, &responder, queue, queue, tag);
  }
  template <typename Handler>
  Task<grpc::Status> Invoke(Handler& handler) {
    return handler(context, stream);
  }
  void Finish(const grpc::Status& status, void* tag) { responder.Finish(status, tag); }
};

template <auto RequestMethod>
using ServerCallFor = ServerCall<decltype(RequestMethod)>;

template <auto RequestMethod, typename Handler>
Detached AcceptAndServe(typename ServerCallFor<RequestMethod>::ServiceType& service,
                        grpc::ServerCompletionQueue* queue,
                        CompletionQueueThreads::KeepAlive keep_alive, Handler handler) {
  ServerCallFor<RequestMethod> call;
  const bool accepted =
      co_await Await([&](void* tag) { call.Accept(service, RequestMethod, queue, tag); });
  if (!accepted) co_return;  // the server is shutting down
  AcceptAndServe<RequestMethod>(service, queue, keep_alive, handler);

  grpc::Status status;
  try {
    status = co_await call.Invoke(handler);
  } catch (const std::exception& error) {
    gpr_log(GPR_ERROR, "handler threw: %s", error.what());
    status = grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  } catch (...) {
    gpr_log(GPR_ERROR, "handler threw a non-std::exception");
    status = grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
  // ok == false only means the client is gone; there is nobody to tell.
  co_await Await([&](void* tag) { call.Finish(status, tag); });
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
