#include "service/stores/io_wait.h"

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include <algorithm>
#include <stop_token>

#include "absl/time/clock.h"
#include "coro/alarm.h"
#include "coro/completion_queue_threads.h"

namespace ledger {
namespace {

// Blocks until `end`, or less if `stop` is requested meanwhile (from any
// thread: cancelling the alarm brings its tag back at once).
void BlockThisThreadUntil(absl::Time end, const std::stop_token& stop) {
  grpc::CompletionQueue queue;
  grpc::Alarm alarm;
  alarm.Set(&queue, absl::ToChronoTime(end), &alarm);
  void* tag = nullptr;
  bool ok = false;
  {
    // Gone before the alarm is: its destructor waits for a running callback.
    std::stop_callback cut_short(stop, [&alarm] { alarm.Cancel(); });
    queue.Next(&tag, &ok);  // the alarm, at `end` or cancelled
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

}  // namespace

coro::Task<absl::Status> AwaitAlarm::Wait(absl::Duration duration,
                                          const coro::Cancellation& cancellation) {
  if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
  // One awaiter, whatever the duration: every waiting call holds this frame,
  // which keeps a slot for each awaiter in it.
  const bool slept = co_await coro::Sleep(duration, cancellation);
  if (!slept) {
    absl::Status stop = cancellation.Check();
    co_return stop.ok() ? absl::UnavailableError("the server is shutting down") : stop;
  }
  co_return cancellation.Check();
}

coro::Task<absl::Status> BlockThread::Wait(absl::Duration duration,
                                           const coro::Cancellation& cancellation) {
  if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
  if (duration > absl::ZeroDuration()) {
    BlockThisThreadUntil(std::min(absl::Now() + duration, cancellation.deadline()),
                         cancellation.stop_token());
  }
  co_return cancellation.Check();
}

}  // namespace ledger
