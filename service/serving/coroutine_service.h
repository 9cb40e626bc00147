// CoroutineService: the Ledger service as coroutine mode registers it. Every
// method is async, and ImportTransfers and TransferStream are raw: their
// requests and responses travel as grpc::ByteBuffer, so the handlers parse
// each request themselves and can tell a message that does not parse from
// the end of the stream (streamed_requests.h says why gRPC cannot). Raw
// methods keep the service's name and descriptor: reflection and the
// metrics see the real types.
#pragma once

#include "ledger/v1/ledger.grpc.pb.h"

namespace ledger {

using CoroutineService =
    v1::Ledger::WithAsyncMethod_OpenAccount<v1::Ledger::WithAsyncMethod_GetAccount<
        v1::Ledger::WithAsyncMethod_Transfer<v1::Ledger::WithAsyncMethod_ListTransfers<
            v1::Ledger::WithRawMethod_ImportTransfers<v1::Ledger::WithRawMethod_TransferStream<
                v1::Ledger::WithAsyncMethod_Audit<v1::Ledger::Service>>>>>>>;

}  // namespace ledger
