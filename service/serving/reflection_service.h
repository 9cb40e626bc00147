// ReflectionService: gRPC server reflection (grpc.reflection.v1alpha), which
// generic tools (grpcurl, grpc_cli, Postman, client/grpc_tool) use to list a
// server's services and fetch its types. It answers from the API's descriptor
// set (proto/api_descriptor_set.h) rather than from the descriptors compiled
// into the binary, as gRPC's own reflection plugin does, because only the
// descriptor set keeps the protos' comments: the rules of each call and field.
//
// v1alpha, not v1: it is what gRPC 1.51's plugin served, what Python's and
// Node's reflection clients ask for, and what grpcurl falls back to.
// Synchronous, like HealthService: a few calls a minute, no pollers of its own.
#pragma once

#include <grpcpp/server_context.h>

#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace ledger {

class ReflectionService final : public grpc::reflection::v1alpha::ServerReflection::Service {
 public:
  // `services`: the full names of the server's own services, which
  // list_services names with the two every server has, health and this one.
  explicit ReflectionService(std::vector<std::string> services = {});

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1alpha::ServerReflectionResponse,
                               grpc::reflection::v1alpha::ServerReflectionRequest>* stream)
      override;

 private:
  grpc::reflection::v1alpha::ServerReflectionResponse Answer(
      const grpc::reflection::v1alpha::ServerReflectionRequest& request) const;

  std::vector<std::string> services_;
};

}  // namespace ledger
