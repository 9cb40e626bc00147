// Makes one Operation's call through the coroutine client and says how it
// ended. The coroutine resumes on the thread of the completion queue it runs
// on, so the driver's state needs no lock.
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "absl/time/time.h"
#include "client/load/workload.h"
#include "coro/task.h"
#include "ledger/v1/ledger.grpc.pb.h"

namespace ledger::load {

// How a call ended: its status code, and the message only when it failed
// (an OK call copies nothing).
struct CallOutcome {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
};

// How the call ended. A TransferStream that ends OK but carries a failed
// result reports that result's code and message, so a refused transfer counts the same
// whether it went alone or in a stream; an ImportTransfers whose summary
// counts a rejected transfer reports FAILED_PRECONDITION; an Audit whose
// report is not consistent reports DATA_LOSS. `operation` must outlive the
// await.
coro::Task<CallOutcome> CallOperation(v1::Ledger::Stub& stub, const Operation& operation,
                                      absl::Duration timeout);

}  // namespace ledger::load
