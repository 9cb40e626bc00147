#include "service/serving/health_service.h"

#include <chrono>
#include <optional>
#include <string>

namespace ledger {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

void HealthService::SetServing(bool serving) {
  {
    std::lock_guard lock(mutex_);
    if (shut_down_ || serving_ == serving) return;
    serving_ = serving;
  }
  changed_.notify_all();
}

void HealthService::Shutdown() {
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    serving_ = false;
  }
  changed_.notify_all();
}

HealthService::ServingStatus HealthService::StatusOf(const std::string& service) const {
  if (!service.empty()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return serving_ ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

grpc::Status HealthService::Check(grpc::ServerContext*, const HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  std::lock_guard lock(mutex_);
  const ServingStatus status = StatusOf(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  }
  response->set_status(status);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context, const HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  std::unique_lock lock(mutex_);
  std::optional<ServingStatus> sent;
  while (!context->IsCancelled()) {
    const ServingStatus status = StatusOf(request->service());
    if (status != sent) {
      lock.unlock();
      HealthCheckResponse response;
      response.set_status(status);
      if (!writer->Write(response)) return grpc::Status(grpc::StatusCode::CANCELLED, "gone");
      lock.lock();
      sent = status;
      continue;  // it may have changed again while the write was under way
    }
    if (shut_down_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down");
    }
    // A cancelled call does not notify the condition variable: look often.
    changed_.wait_for(lock, std::chrono::milliseconds(100));
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled");
}

}  // namespace ledger
