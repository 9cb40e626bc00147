// The one place where the ledger's absl::Status becomes a gRPC status.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace ledger {

// absl::StatusCode and grpc::StatusCode share their numbering (both are
// google.rpc.Code), so the code maps one to one; the message is kept.
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace ledger
