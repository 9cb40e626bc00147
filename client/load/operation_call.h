// Makes one Operation's call through the coroutine client and says how it
// ended. The coroutine resumes on the thread of the completion queue it runs
// on, so the driver's state needs no lock.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/time/time.h"
#include "client/load/workload.h"
#include "coro/task.h"
#include "ledger/v1/ledger.grpc.pb.h"

namespace ledger::load {

// The call's status code. A TransferStream that ends OK but carries a failed
// result reports that result's code, so a refused transfer counts the same
// whether it went alone or in a stream; an ImportTransfers whose summary
// counts a rejected transfer reports FAILED_PRECONDITION; an Audit whose
// report is not consistent reports DATA_LOSS. `operation` must outlive the
// await.
coro::Task<grpc::StatusCode> CallOperation(v1::Ledger::Stub& stub, const Operation& operation,
                                           absl::Duration timeout);

}  // namespace ledger::load
