// CancellationWatch: how thread mode hears that a call was cancelled (by its
// client, or its deadline) while its thread waits. gRPC's synchronous API has
// no callback for it, only ServerContext::IsCancelled(); so one thread asks
// that of every call in flight, a few dozen times a second, and stops the
// call's std::stop_source when it says yes. The call's Cancellation carries
// that stop, so its store waits (BlockThread) end at once and its store calls
// give up with CANCELLED, exactly as in coroutine mode, and a thread per call
// is never needed.
#pragma once

#include <grpcpp/server_context.h>

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "absl/time/time.h"
#include "coro/cancellation.h"

namespace ledger {

class CancellationWatch {
 public:
  // How often each call is asked at most; the pause between rounds grows
  // with the calls in flight, so the watch never takes more than about a
  // third of a core.
  static constexpr absl::Duration kRoundInterval = absl::Milliseconds(20);

  CancellationWatch();
  // Every Watched must be gone by then.
  ~CancellationWatch();
  CancellationWatch(const CancellationWatch&) = delete;
  CancellationWatch& operator=(const CancellationWatch&) = delete;

  // One call under watch, from its handler's start to its end; lives on the
  // handler's stack.
  class Watched {
   public:
    Watched(CancellationWatch& watch, const grpc::ServerContext& context);
    ~Watched();
    Watched(const Watched&) = delete;
    Watched& operator=(const Watched&) = delete;

    // What the call's work checks and waits with: the stop and the deadline.
    coro::Cancellation cancellation() const;
    // The handler learnt it first (a read that failed because the call died).
    void Cancelled() { stop_.request_stop(); }

   private:
    friend class CancellationWatch;
    CancellationWatch& watch_;
    const grpc::ServerContext& context_;
    std::stop_source stop_;
    Watched* previous_ = nullptr;  // the list's links, guarded by watch_.mutex_
    Watched* next_ = nullptr;
  };

 private:
  void Run();
  // One round over the calls in flight, a few at a time so that calls
  // starting and ending wait little for the lock.
  void AskEveryCall();

  std::mutex mutex_;
  std::condition_variable stopping_changed_;
  bool stopping_ = false;
  Watched* first_ = nullptr;  // calls in flight, newest last
  Watched* last_ = nullptr;
  Watched* cursor_ = nullptr;  // the next one the round asks; moved on if it leaves
  std::thread thread_;         // last: starts once the rest is ready
};

}  // namespace ledger
