// IoWait: how a caller of a store waits for I/O, handed to the store by
// whoever serves the calls, so that the store never guesses from the thread
// it runs on. Coroutine mode awaits an alarm on its completion queue and the
// thread serves other calls meanwhile; thread mode blocks its thread, as a
// blocking database driver would.
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "coro/cancellation.h"
#include "coro/task.h"

namespace ledger {

class IoWait {
 public:
  virtual ~IoWait() = default;
  // Waits `duration`: OK, or why the wait stopped (cancelled, past the
  // deadline, the server shutting down).
  virtual coro::Task<absl::Status> Wait(absl::Duration duration,
                                        const coro::Cancellation& cancellation) = 0;
};

// Sleeps on the calling completion-queue thread (coro::Sleep, timed by that
// thread itself); zero yields to the thread's loop, as an I/O completion would
// come back through it. A cancelled call stops waiting at once. Only for
// coroutines on a completion-queue thread.
class AwaitAlarm final : public IoWait {
 public:
  coro::Task<absl::Status> Wait(absl::Duration duration,
                                const coro::Cancellation& cancellation) override;
};

// Blocks the calling thread on a gRPC alarm, which rounds up to whole
// milliseconds as AwaitAlarm's sleep does, so both modes wait alike and
// comparing them measures how they wait, not two clocks. Like AwaitAlarm, the
// wait ends at the call's deadline, or at once when its stop is requested
// (from another thread: thread mode's CancellationWatch).
class BlockThread final : public IoWait {
 public:
  coro::Task<absl::Status> Wait(absl::Duration duration,
                                const coro::Cancellation& cancellation) override;
};

}  // namespace ledger
