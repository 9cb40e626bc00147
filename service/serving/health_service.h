// HealthService: grpc.health.v1 for the servers of this process, SERVING or
// NOT_SERVING for the whole server (service ""); any other service name is
// unknown, as with gRPC's default health service, which it replaces.
//
// gRPC's default service is written to its callback API, and in gRPC 1.51
// on Linux the callback API brings a process-wide completion queue with
// threads of its own ("nexting_thread") that poll the same sockets as the
// serving threads: they took a third of the server's CPU samples under
// load and about a third of its CPU per call, for a service that is called
// a few times a minute. This one is a synchronous service, like reflection,
// so it adds no pollers a server does not already have.
#pragma once

#include <grpcpp/server_context.h>

#include <condition_variable>
#include <mutex>

#include "grpc/health/v1/health.grpc.pb.h"

namespace ledger {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // What Check and Watch answer from now on, until Shutdown.
  void SetServing(bool serving);
  // NOT_SERVING from now on whatever SetServing says, and every Watch ends
  // after telling its caller, so a server's shutdown never waits on one.
  void Shutdown();

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  // SERVICE_UNKNOWN for a service other than the whole server's.
  ServingStatus StatusOf(const std::string& service) const;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool serving_ = true;
  bool shut_down_ = false;
};

}  // namespace ledger
