#include "service/stores/io_wait.h"

#include <grpcpp/alarm.h>
#include <grpcpp/completion_queue.h>

#include "absl/time/clock.h"
#include "coro/alarm.h"
#include "coro/completion_queue_threads.h"

namespace ledger {
namespace {

void BlockThisThreadFor(absl::Duration duration) {
  grpc::CompletionQueue queue;
  grpc::Alarm alarm;
  alarm.Set(&queue, absl::ToChronoTime(absl::Now() + duration), &alarm);
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);  // the alarm, at its deadline
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

}  // namespace

coro::Task<absl::Status> AwaitAlarm::Wait(absl::Duration duration,
                                          const coro::Cancellation& cancellation) {
  if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
  if (duration <= absl::ZeroDuration()) {
    co_await coro::ResumeOn(coro::CompletionQueueThreads::Current());
  } else if (!co_await coro::Sleep(duration, cancellation)) {
    absl::Status stop = cancellation.Check();
    co_return stop.ok() ? absl::UnavailableError("the server is shutting down") : stop;
  }
  co_return cancellation.Check();
}

coro::Task<absl::Status> BlockThread::Wait(absl::Duration duration,
                                           const coro::Cancellation& cancellation) {
  if (absl::Status stop = cancellation.Check(); !stop.ok()) co_return stop;
  if (duration > absl::ZeroDuration()) BlockThisThreadFor(duration);
  co_return cancellation.Check();
}

}  // namespace ledger
