#include "coro/shared_alarms.h"

namespace coro::detail {
namespace {
thread_local SharedAlarms* current_alarms = nullptr;

int64_t EndMillisecond(absl::Time end) {
  return absl::ToInt64Milliseconds(
      absl::Ceil(std::max(end, absl::UnixEpoch()) - absl::UnixEpoch(), absl::Milliseconds(1)));
}
}  // namespace

struct SharedAlarms::Bucket final : Operation {
  Bucket(SharedAlarms& owner, int64_t end_ms)
      : Operation(&SharedAlarms::Fire), owner(owner), end_ms(end_ms) {}

  SharedAlarms& owner;
  const int64_t end_ms;
  bool listed = true;  // still in owner.buckets_
  SharedSleep* first = nullptr;
  grpc::Alarm alarm;
};

SharedAlarms::SharedAlarms(grpc::CompletionQueue* queue)
    : queue_(queue), previous_(current_alarms) {
  current_alarms = this;
}

SharedAlarms::~SharedAlarms() {
  assert(buckets_.empty() && "a bucket alarm outlived its queue");
  current_alarms = previous_;
}

SharedAlarms* SharedAlarms::Current() { return current_alarms; }

void SharedAlarms::Add(SharedSleep& sleep, absl::Time end) {
  const int64_t end_ms = EndMillisecond(end);
  std::lock_guard lock(mutex_);
  auto [slot, added] = buckets_.try_emplace(end_ms, nullptr);
  if (added) {
    slot->second = new Bucket(*this, end_ms);
    slot->second->alarm.Set(queue_,
                            absl::ToChronoTime(absl::UnixEpoch() + absl::Milliseconds(end_ms)),
                            slot->second->tag());
  }
  Bucket* bucket = slot->second;
  sleep.bucket_ = bucket;
  sleep.previous_ = nullptr;
  sleep.next_ = bucket->first;
  if (bucket->first) bucket->first->previous_ = &sleep;
  bucket->first = &sleep;
}

bool SharedAlarms::Remove(SharedSleep& sleep) {
  std::lock_guard lock(mutex_);
  auto* bucket = static_cast<Bucket*>(sleep.bucket_);
  if (!bucket) return false;
  sleep.bucket_ = nullptr;
  if (sleep.previous_) {
    sleep.previous_->next_ = sleep.next_;
  } else {
    bucket->first = sleep.next_;
  }
  if (sleep.next_) sleep.next_->previous_ = sleep.previous_;
  if (!bucket->first && bucket->listed) {
    // Nobody left to wake: the alarm comes back early (or is already on its
    // way) and Fire frees the bucket. Unlisted first, so that a sleep ending
    // in the same millisecond gets a bucket of its own rather than this one.
    buckets_.erase(bucket->end_ms);
    bucket->listed = false;
    bucket->alarm.Cancel();
  }
  return true;
}

int SharedAlarms::armed_alarms() {
  std::lock_guard lock(mutex_);
  return static_cast<int>(buckets_.size());
}

void SharedAlarms::Fire(Operation* operation, bool /*ok*/) {
  auto* bucket = static_cast<Bucket*>(operation);
  SharedAlarms& owner = bucket->owner;
  SharedSleep* woken = nullptr;
  {
    std::lock_guard lock(owner.mutex_);
    if (bucket->listed) owner.buckets_.erase(bucket->end_ms);
    // Out of the bucket before the lock goes, so that a stop arriving from
    // now on leaves these sleeps to us.
    woken = bucket->first;
    for (SharedSleep* sleep = woken; sleep; sleep = sleep->next_) sleep->bucket_ = nullptr;
  }
  // A bucket that was cancelled had no sleeps left; one that fired wakes its
  // sleeps whatever `ok` says, since only Remove cancels.
  delete bucket;
  while (woken) {
    SharedSleep* next = woken->next_;  // read first: resuming may free *woken
    Operation::Complete(woken, true);
    woken = next;
  }
}

}  // namespace coro::detail
