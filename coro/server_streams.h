// The stream ends of a server call, as awaitables; each yields gRPC's `ok`
// (false once the call is dead: cancelled, past its deadline, client gone).
//
// Reads: one at a time, each awaited before the next (false at the end of the
// client's stream). A read that fails because the call died, rather than
// because the client half-closed, stops the call's Cancellation before it
// yields false, so a handler that checks its Cancellation after the last read
// tells the two apart at once instead of waiting for the done tag.
//
// Writes: any number of coroutines may call Write at once; they go out one at
// a time, each waiting for the previous to complete, so a slow reader holds
// writers back instead of growing a buffer. A finishing operation
// (WriteAndFinish, Finish) also waits its turn and ends the stream; a handler
// that finished its stream itself has its returned status ignored.
#pragma once

#include <grpc/grpc.h>
#include <grpcpp/support/async_stream.h>
#include <grpcpp/support/status.h>

#include <coroutine>

#include "coro/async_mutex.h"
#include "coro/call_context.h"
#include "coro/operation.h"
#include "coro/task.h"

namespace coro {
namespace detail {

template <typename Responder>
class ServerStreamBase {
 public:
  explicit ServerStreamBase(Responder& responder) : responder_(responder) {}
  ServerStreamBase(const ServerStreamBase&) = delete;
  ServerStreamBase& operator=(const ServerStreamBase&) = delete;

  // Sends the response headers now, before the first message.
  Task<bool> SendInitialMetadata() {
    AsyncMutex::Guard turn = co_await turn_.Lock();
    co_return co_await Await([this](void* tag) { responder_.SendInitialMetadata(tag); });
  }

  bool finished() const { return finished_; }

 protected:
  Responder& responder_;
  AsyncMutex turn_;  // one write, metadata or finish outstanding at a time
  bool finished_ = false;
};

// One read; yields gRPC's `ok`. On a failed read, before the coroutine goes
// on, gRPC says whether the read failed (the call died) or found the end of
// the client's stream; the former stops the call's Cancellation.
template <typename Message, typename Responder>
class ReadOperation final : public ResumeOnCompletion {
 public:
  ReadOperation(Responder& reader, Message& message, CallContext& call)
      : reader_(reader), message_(message), call_(call) {}

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> waiting) {
    waiting_ = waiting;
    reader_.Read(&message_, tag());
  }
  bool await_resume() {
    if (!ok() &&
        grpc_call_failed_before_recv_message(CallContextAccess::ServerContext(call_)->c_call())) {
      CallContextAccess::Cancelled(call_);
    }
    return ok();
  }

 private:
  Responder& reader_;
  Message& message_;
  CallContext& call_;
};

template <typename Message, typename Responder>
class ServerStreamReads {
 public:
  ServerStreamReads(Responder& responder, CallContext& call) : reader_(responder), call_(call) {}
  ReadOperation<Message, Responder> Read(Message& message) {
    return ReadOperation<Message, Responder>(reader_, message, call_);
  }

 private:
  Responder& reader_;
  CallContext& call_;
};

template <typename Message, typename Responder>
class ServerStreamWrites : public ServerStreamBase<Responder> {
 public:
  using ServerStreamBase<Responder>::ServerStreamBase;

  Task<bool> Write(const Message& message) {
    AsyncMutex::Guard turn = co_await this->turn_.Lock();
    if (this->finished_) co_return false;
    co_return co_await Await([&](void* tag) { this->responder_.Write(message, tag); });
  }

  // The last message and the status in one go.
  Task<bool> WriteAndFinish(const Message& message, grpc::Status status) {
    AsyncMutex::Guard turn = co_await this->turn_.Lock();
    if (this->finished_) co_return false;
    this->finished_ = true;
    co_return co_await Await([&](void* tag) {
      this->responder_.WriteAndFinish(message, grpc::WriteOptions(), status, tag);
    });
  }

  Task<bool> Finish(grpc::Status status) {
    AsyncMutex::Guard turn = co_await this->turn_.Lock();
    if (this->finished_) co_return false;
    this->finished_ = true;
    co_return co_await Await([&](void* tag) { this->responder_.Finish(status, tag); });
  }
};

}  // namespace detail

// Server streaming: the handler writes responses.
template <typename Response>
class ServerWriter
    : public detail::ServerStreamWrites<Response, grpc::ServerAsyncWriter<Response>> {
 public:
  using detail::ServerStreamWrites<Response, grpc::ServerAsyncWriter<Response>>::ServerStreamWrites;
};

// Bidi streaming: the handler reads requests and writes responses; reads and
// writes may overlap.
template <typename Response, typename Request>
class ServerReaderWriter
    : public detail::ServerStreamWrites<Response, grpc::ServerAsyncReaderWriter<Response, Request>>,
      public detail::ServerStreamReads<Request, grpc::ServerAsyncReaderWriter<Response, Request>> {
 public:
  using Responder = grpc::ServerAsyncReaderWriter<Response, Request>;
  ServerReaderWriter(Responder& responder, CallContext& call)
      : detail::ServerStreamWrites<Response, Responder>(responder),
        detail::ServerStreamReads<Request, Responder>(responder, call) {}
};

// Client streaming: the handler reads requests and answers once.
template <typename Request, typename Response>
class ServerReader
    : public detail::ServerStreamBase<grpc::ServerAsyncReader<Response, Request>>,
      public detail::ServerStreamReads<Request, grpc::ServerAsyncReader<Response, Request>> {
 public:
  using Responder = grpc::ServerAsyncReader<Response, Request>;
  ServerReader(Responder& responder, CallContext& call)
      : detail::ServerStreamBase<Responder>(responder),
        detail::ServerStreamReads<Request, Responder>(responder, call) {}

  Task<bool> Finish(const Response& response, grpc::Status status) {
    AsyncMutex::Guard turn = co_await this->turn_.Lock();
    if (this->finished_) co_return false;
    this->finished_ = true;
    co_return co_await detail::Await(
        [&](void* tag) { this->responder_.Finish(response, status, tag); });
  }

  Task<bool> FinishWithError(grpc::Status status) {
    AsyncMutex::Guard turn = co_await this->turn_.Lock();
    if (this->finished_) co_return false;
    this->finished_ = true;
    co_return co_await detail::Await(
        [&](void* tag) { this->responder_.FinishWithError(status, tag); });
  }
};

}  // namespace coro
