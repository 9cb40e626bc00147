// InflightLimit: the calls in flight in one serving mode, and the bound past
// which a new call is refused at once (RESOURCE_EXHAUSTED) instead of queued
// without bound (--max_inflight).
#pragma once

#include <grpcpp/support/status.h>

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ledger {

class InflightLimit {
 public:
  explicit InflightLimit(int max_inflight) : max_inflight_(max_inflight) {}
  InflightLimit(const InflightLimit&) = delete;
  InflightLimit& operator=(const InflightLimit&) = delete;

  // One call's place in flight, held for the whole call; empty when the
  // limit was reached.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : limit_(std::exchange(other.limit_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (limit_) limit_->inflight_.fetch_sub(1, std::memory_order_relaxed);
    }
    explicit operator bool() const { return limit_ != nullptr; }

   private:
    friend class InflightLimit;
    explicit Slot(InflightLimit* limit) : limit_(limit) {}
    InflightLimit* limit_;
  };

  // Never counts past the limit, even for a moment, so the in-flight gauge
  // never reads more than --max_inflight.
  Slot TryEnter() {
    int inflight = inflight_.load(std::memory_order_relaxed);
    do {
      if (inflight >= max_inflight_) return Slot(nullptr);
    } while (!inflight_.compare_exchange_weak(inflight, inflight + 1, std::memory_order_relaxed));
    return Slot(this);
  }

  int inflight() const { return inflight_.load(std::memory_order_relaxed); }

  grpc::Status Refusal() const {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("the server has ", max_inflight_,
                                     " calls in flight (--max_inflight); retry later"));
  }

 private:
  const int max_inflight_;
  std::atomic<int> inflight_{0};
};

}  // namespace ledger
