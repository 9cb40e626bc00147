// What both modes answer for a handler that threw: INTERNAL, saying nothing
// of the exception to the client. What it said goes, with the call's method
// and code, into the call's one line in the server's log: the wrapper hands
// it to the call's CallMeasure, which writes that line (FailedCallLog).
#pragma once

#include <grpcpp/support/status.h>

#include <exception>
#include <string>

namespace ledger {

// Call it in a catch block: it looks at the exception being handled, and
// puts what it said in `detail`, for the log only.
inline grpc::Status HandlerThrew(std::string& detail) {
  try {
    throw;
  } catch (const std::exception& error) {
    detail = error.what();
  } catch (...) {
    detail = "an exception that is not a std::exception";
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
}

}  // namespace ledger
