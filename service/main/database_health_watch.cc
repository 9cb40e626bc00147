#include "service/main/database_health_watch.h"

#include "absl/time/time.h"
#include "logging/log.h"
#include "service/stores/postgres/database.h"

namespace ledger {
namespace {

constexpr auto kInterval = std::chrono::seconds(1);
constexpr absl::Duration kProbeTimeout = absl::Seconds(2);

}  // namespace

DatabaseHealthWatch::DatabaseHealthWatch(std::string dsn, std::function<void(bool)> set_serving)
    : dsn_(std::move(dsn)),
      set_serving_(std::move(set_serving)),
      thread_([this](std::stop_token stop) { Watch(stop); }) {}

DatabaseHealthWatch::~DatabaseHealthWatch() {
  thread_.request_stop();
  thread_.join();
}

void DatabaseHealthWatch::Watch(std::stop_token stop) {
  bool serving = true;  // as the servers start
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    lock.unlock();
    const bool answers = postgres::DatabaseAnswers(dsn_, kProbeTimeout);
    lock.lock();
    if (stop.stop_requested()) break;
    if (answers != serving) {
      serving = answers;
      set_serving_(serving);
      if (serving) {
        Log("PostgreSQL answers again: health is SERVING");
      } else {
        LogWarning("PostgreSQL does not answer: health is NOT_SERVING until it does");
      }
    }
    wake_.wait_for(lock, stop, kInterval, [] { return false; });
  }
}

}  // namespace ledger
