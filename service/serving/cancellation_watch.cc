#include "service/serving/cancellation_watch.h"

#include <algorithm>
#include <cassert>
#include <chrono>

#include "absl/time/clock.h"

namespace ledger {
namespace {

// Calls asked per hold of the lock. Asking is a non-blocking look at the
// call's completion queue, a microsecond or so.
constexpr int kCallsPerHold = 32;

absl::Time DeadlineOf(const grpc::ServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace

CancellationWatch::CancellationWatch() : thread_([this] { Run(); }) {}

CancellationWatch::~CancellationWatch() {
  {
    std::lock_guard lock(mutex_);
    assert(first_ == nullptr && "a call outlived thread mode's CancellationWatch");
    stopping_ = true;
  }
  stopping_changed_.notify_one();
  thread_.join();
}

CancellationWatch::Watched::Watched(CancellationWatch& watch, const grpc::ServerContext& context)
    : watch_(watch), context_(context) {
  std::lock_guard lock(watch_.mutex_);
  previous_ = watch_.last_;
  (previous_ ? previous_->next_ : watch_.first_) = this;
  watch_.last_ = this;
}

CancellationWatch::Watched::~Watched() {
  std::lock_guard lock(watch_.mutex_);
  if (watch_.cursor_ == this) watch_.cursor_ = next_;
  (previous_ ? previous_->next_ : watch_.first_) = next_;
  (next_ ? next_->previous_ : watch_.last_) = previous_;
}

coro::Cancellation CancellationWatch::Watched::cancellation() const {
  return coro::Cancellation(stop_.get_token(), DeadlineOf(context_));
}

void CancellationWatch::Run() {
  absl::Duration pause = kRoundInterval;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (stopping_changed_.wait_for(lock, absl::ToChronoNanoseconds(pause),
                                     [this] { return stopping_; })) {
        return;
      }
    }
    const absl::Time start = absl::Now();
    AskEveryCall();
    // Thousands of calls in flight make a round long: rest twice as long.
    pause = std::max(kRoundInterval, 2 * (absl::Now() - start));
  }
}

void CancellationWatch::AskEveryCall() {
  std::unique_lock lock(mutex_);
  cursor_ = first_;
  while (cursor_ != nullptr) {
    for (int asked = 0; asked < kCallsPerHold && cursor_ != nullptr; ++asked) {
      Watched& call = *cursor_;
      cursor_ = call.next_;
      // IsCancelled() is thread-safe in the synchronous API. A stop runs the
      // call's stop callbacks here (a BlockThread wait cancels its alarm);
      // none of them takes this lock.
      if (!call.stop_.stop_requested() && call.context_.IsCancelled()) call.stop_.request_stop();
    }
    if (cursor_ != nullptr) {
      lock.unlock();  // calls starting and ending get their turn
      lock.lock();
    }
  }
}

}  // namespace ledger
