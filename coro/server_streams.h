// The stream ends of a server call, as awaitables. Each method returns an
// awaiter that is its own completion-queue tag; co_await yields gRPC's `ok`.
// gRPC allows one read and one write outstanding per stream at a time (they
// may overlap each other); a handler awaits each before starting the next.
#pragma once

#include <grpcpp/support/async_stream.h>

#include "coro/operation.h"

namespace coro {

// Client-streaming side: Read() yields false at the end of the client's stream.
template <typename Request, typename Responder>
class ServerReader {
 public:
  explicit ServerReader(Responder& responder) : responder_(responder) {}
  auto Read(Request& message) {
    return detail::Await([this, &message](void* tag) { responder_.Read(&message, tag); });
  }

 protected:
  Responder& responder_;
};

// Server-streaming side: Write() yields false once the call is dead
// (cancelled, deadline passed, client gone).
template <typename Response, typename Responder>
class ServerWriter {
 public:
  explicit ServerWriter(Responder& responder) : responder_(responder) {}
  auto Write(const Response& message) {
    return detail::Await([this, &message](void* tag) { responder_.Write(message, tag); });
  }

 protected:
  Responder& responder_;
};

template <typename Response, typename Request>
class ServerReaderWriter
    : public ServerReader<Request, grpc::ServerAsyncReaderWriter<Response, Request>> {
 public:
  using Responder = grpc::ServerAsyncReaderWriter<Response, Request>;
  explicit ServerReaderWriter(Responder& responder) : ServerReader<Request, Responder>(responder) {}
  auto Write(const Response& message) {
    return detail::Await([this, &message](void* tag) { this->responder_.Write(message, tag); });
  }
};

}  // namespace coro
