// Cancellation: what work done on behalf of a call needs in order to stop in
// time — a stop token (the call was cancelled, by its client or by shutdown)
// and the call's deadline. Handlers pass it to every store call they make.
#pragma once

#include <stop_token>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace coro {

class Cancellation {
 public:
  // Never cancelled, no deadline.
  Cancellation() = default;
  Cancellation(std::stop_token stop, absl::Time deadline)
      : stop_(std::move(stop)), deadline_(deadline) {}

  const std::stop_token& stop_token() const { return stop_; }
  absl::Time deadline() const { return deadline_; }

  // OK while the work should go on; CANCELLED or DEADLINE_EXCEEDED once not.
  absl::Status Check() const {
    if (stop_.stop_requested()) return absl::CancelledError("the call was cancelled");
    if (absl::Now() >= deadline_) return absl::DeadlineExceededError("the call's deadline passed");
    return absl::OkStatus();
  }

 private:
  std::stop_token stop_;
  absl::Time deadline_ = absl::InfiniteFuture();
};

}  // namespace coro
