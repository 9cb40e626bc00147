// CallContext: what a server handler knows about its call — gRPC's
// ServerContext, the client's deadline, and whether the call was cancelled
// (by the client, its deadline, or shutdown) — and the Cancellation it hands
// to the work it starts, so that work stops at its next await.
#pragma once

#include <grpcpp/server_context.h>

#include <chrono>
#include <coroutine>
#include <stop_token>

#include "absl/time/time.h"
#include "coro/cancellation.h"
#include "coro/operation.h"

namespace coro {

namespace detail {
struct CallContextAccess;
}

class CallContext {
 public:
  CallContext() = default;
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;

  grpc::ServerContext& grpc() { return context_; }

  // The client's deadline; InfiniteFuture() if it set none.
  absl::Time deadline() const {
    const auto deadline = context_.deadline();
    if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
    return absl::FromChrono(deadline);
  }

  // True once gRPC has told us the call was cancelled (its done tag, or a read
  // that failed because the call died); from then on every await on the call
  // or on a Cancellation from here ends promptly.
  bool IsCancelled() const { return stop_.stop_requested(); }

  Cancellation cancellation() const { return Cancellation(stop_.get_token(), deadline()); }

 private:
  friend struct detail::CallContextAccess;

  // gRPC delivers the done tag once for every call that started, after the
  // call is finished or cancelled; the call's coroutine waits for it before
  // its frame (which holds this) may go.
  class DoneNotification final : public detail::Operation {
   public:
    explicit DoneNotification(CallContext& call)
        : Operation(&DoneNotification::Arrived), call_(call) {}

    bool arrived() const { return arrived_; }
    void set_waiting(std::coroutine_handle<> waiting) { waiting_ = waiting; }

   private:
    static void Arrived(Operation* base, bool) {
      auto* self = static_cast<DoneNotification*>(base);
      self->arrived_ = true;
      // IsCancelled() may only be asked once this tag has arrived.
      if (self->call_.context_.IsCancelled()) self->call_.stop_.request_stop();
      if (self->waiting_) self->waiting_.resume();
    }

    CallContext& call_;
    bool arrived_ = false;
    std::coroutine_handle<> waiting_;
  };

  grpc::ServerContext context_;
  std::stop_source stop_;
  DoneNotification done_{*this};
};

namespace detail {

// What coro::Serve's machinery needs of a CallContext; not for handlers.
struct CallContextAccess {
  static grpc::ServerContext* ServerContext(CallContext& call) { return &call.context_; }

  // Before the call is requested, as gRPC requires.
  static void NotifyWhenDone(CallContext& call) {
    call.context_.AsyncNotifyWhenDone(call.done_.tag());
  }

  // co_await WhenDone(call): the done tag has arrived. It arrives on the
  // call's queue, whose thread the call's coroutine runs on, so no lock.
  struct DoneAwaiter {
    CallContext::DoneNotification& done;
    bool await_ready() const noexcept { return done.arrived(); }
    void await_suspend(std::coroutine_handle<> waiting) { done.set_waiting(waiting); }
    void await_resume() const noexcept {}
  };
  static DoneAwaiter WhenDone(CallContext& call) { return DoneAwaiter{call.done_}; }

  // The call is known to be dead before its done tag arrives. On the call's
  // own thread: stop callbacks run here.
  static void Cancelled(CallContext& call) { call.stop_.request_stop(); }
};

}  // namespace detail
}  // namespace coro
