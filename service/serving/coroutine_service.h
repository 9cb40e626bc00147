// CoroutineService: the Ledger service as coroutine mode registers it. Every
// method is async and raw: requests and responses travel as
// grpc::ByteBuffer, and the handlers parse and serialize them themselves
// (raw_messages.h). gRPC's async API answers a unary or server-streaming
// request it cannot parse with INTERNAL and drops it before any code of
// ours runs, so a typed method would leave that call out of the metrics and
// the log; a client stream's message that does not parse looks like the
// stream's end (streamed_requests.h says why). Raw methods keep the
// service's name and descriptor: reflection and the metrics see the real
// types.
#pragma once

#include "ledger/v1/ledger.grpc.pb.h"

namespace ledger {

using CoroutineService = v1::Ledger::WithRawMethod_OpenAccount<v1::Ledger::WithRawMethod_GetAccount<
    v1::Ledger::WithRawMethod_Transfer<v1::Ledger::WithRawMethod_ListTransfers<
        v1::Ledger::WithRawMethod_ImportTransfers<v1::Ledger::WithRawMethod_TransferStream<
            v1::Ledger::WithRawMethod_Audit<v1::Ledger::Service>>>>>>>;

}  // namespace ledger
