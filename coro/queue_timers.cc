#include "coro/queue_timers.h"

namespace coro::detail {
namespace {
thread_local QueueTimers* current_timers = nullptr;
}  // namespace

int64_t EndMillisecond(absl::Time end) {
  return absl::ToInt64Milliseconds(
      absl::Ceil(std::max(end, absl::UnixEpoch()) - absl::UnixEpoch(), absl::Milliseconds(1)));
}

QueueTimers::QueueTimers(grpc::CompletionQueue* queue) : queue_(queue), previous_(current_timers) {
  current_timers = this;
}

QueueTimers::~QueueTimers() {
  assert(buckets_.empty() && "a sleep outlived its queue's loop");
  current_timers = previous_;
}

QueueTimers* QueueTimers::Current() { return current_timers; }

void QueueTimers::UpdateEarliest() {
  earliest_end_ms_.store(buckets_.empty() ? kNone : buckets_.begin()->first,
                         std::memory_order_relaxed);
}

void QueueTimers::Add(CancellableSleep& sleep, absl::Time end) {
  const int64_t end_ms = EndMillisecond(end);
  std::lock_guard lock(mutex_);
  Bucket& bucket = buckets_[end_ms];
  sleep.bucket_ = end_ms;
  sleep.previous_ = bucket.last;
  sleep.next_ = nullptr;
  if (bucket.last) {
    bucket.last->next_ = &sleep;
  } else {
    bucket.first = &sleep;
  }
  bucket.last = &sleep;
  if (end_ms < earliest_end_ms_.load(std::memory_order_relaxed)) UpdateEarliest();
}

bool QueueTimers::Remove(CancellableSleep& sleep) {
  std::lock_guard lock(mutex_);
  if (sleep.bucket_ == kNone) return false;
  const auto bucket = buckets_.find(sleep.bucket_);
  assert(bucket != buckets_.end());
  sleep.bucket_ = kNone;
  if (sleep.previous_) {
    sleep.previous_->next_ = sleep.next_;
  } else {
    bucket->second.first = sleep.next_;
  }
  if (sleep.next_) {
    sleep.next_->previous_ = sleep.previous_;
  } else {
    bucket->second.last = sleep.previous_;
  }
  if (!bucket->second.first) {
    buckets_.erase(bucket);
    UpdateEarliest();
  }
  return true;
}

void QueueTimers::ResumeDue(absl::Time now) {
  const int64_t now_ms = absl::ToUnixMillis(now);
  CancellableSleep* due = nullptr;  // in order of their ends, then of their starts
  {
    std::lock_guard lock(mutex_);
    CancellableSleep* due_last = nullptr;
    // Out of their buckets before the lock goes, so that a stop arriving
    // from now on leaves these sleeps to us.
    while (!buckets_.empty() && buckets_.begin()->first <= now_ms) {
      const Bucket& bucket = buckets_.begin()->second;
      for (CancellableSleep* sleep = bucket.first; sleep; sleep = sleep->next_) {
        sleep->bucket_ = kNone;
      }
      if (due_last) {
        due_last->next_ = bucket.first;
      } else {
        due = bucket.first;
      }
      due_last = bucket.last;
      buckets_.erase(buckets_.begin());
    }
    UpdateEarliest();
  }
  while (due) {
    CancellableSleep* next = due->next_;  // read first: resuming may free *due
    Operation::Complete(due, true);
    due = next;
  }
}

int QueueTimers::buckets() {
  std::lock_guard lock(mutex_);
  return static_cast<int>(buckets_.size());
}

}  // namespace coro::detail
