// What both modes answer for a handler that threw: INTERNAL, saying nothing
// of the exception to the client. What it said goes, with the call's method
// and code, into the call's one line in the server's log (FailedCallLog,
// written by the metrics interceptor, which takes it out of the trailing
// metadata before anything is sent).
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <exception>
#include <string>

#include "service/metrics/failed_call_log.h"

namespace ledger {

// Call it in a catch block: it looks at the exception being handled.
inline grpc::Status HandlerThrew(grpc::ServerContext& context) {
  std::string detail;
  try {
    throw;
  } catch (const std::exception& error) {
    detail = error.what();
  } catch (...) {
    detail = "an exception that is not a std::exception";
  }
  context.AddTrailingMetadata(metrics::kFailureDetailKey, detail);
  return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
}

}  // namespace ledger
