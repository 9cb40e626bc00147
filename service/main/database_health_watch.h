// DatabaseHealthWatch: while the server runs on PostgreSQL, asks once a
// second whether the database answers, and sets health to match: NOT_SERVING
// while no connection can be had, so that load balancers and Kubernetes send
// calls to pods that can serve them. Each change is logged.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace ledger {

class DatabaseHealthWatch {
 public:
  DatabaseHealthWatch(std::string dsn, std::function<void(bool serving)> set_serving);
  // Stops watching (within a probe's timeout) and leaves health as it was.
  ~DatabaseHealthWatch();

 private:
  void Watch(std::stop_token stop);

  const std::string dsn_;
  const std::function<void(bool)> set_serving_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: starts once the members it reads exist
};

}  // namespace ledger
