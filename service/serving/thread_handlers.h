// ThreadHandlers: thread mode's handlers, one blocking method per RPC. They
// serve the Ledger service the classic way: gRPC's synchronous API, where
// every call in flight holds one OS thread for its whole life and every store
// call blocks that thread. The ledger logic is the same Ledger as in
// coroutine mode, run to completion on the calling thread; only the way of
// waiting differs. A cancelled call stops its waits as in coroutine mode,
// through a CancellationWatch; a handler that throws ends its call with
// INTERNAL, as in coroutine mode (gRPC's own catch would answer UNKNOWN);
// every call that reaches a handler is counted as in coroutine mode, by a
// CallMeasure in the same places (call_metrics.h), and the calls gRPC's sync
// server answers itself by the interceptor of grpc_answered_calls.h.
// ImportTransfers and TransferStream read their requests as raw bytes and
// parse them, as in coroutine mode (the constructor says how, and
// streamed_requests.h why).
#pragma once

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/sync_stream.h>

#include <atomic>

#include "ledger/v1/ledger.grpc.pb.h"
#include "service/ledger/ledger.h"
#include "service/metrics/call_metrics.h"
#include "service/security/authenticator.h"
#include "service/serving/cancellation_watch.h"
#include "service/serving/inflight_limit.h"

namespace ledger {

class ThreadHandlers final : public v1::Ledger::Service {
 public:
  // Calls that `authenticator` refuses, and calls past `limit`, are refused.
  // Every call is counted in `metrics`, refused ones too.
  ThreadHandlers(Ledger& ledger, const security::Authenticator& authenticator, InflightLimit& limit,
                 metrics::CallMetrics& metrics);

  // Threads that have served a call and are still alive: gRPC grows its pool
  // as calls arrive and lets surplus threads exit.
  int threads() const { return threads_.load(std::memory_order_relaxed); }

  grpc::Status OpenAccount(grpc::ServerContext* context, const v1::OpenAccountRequest* request,
                           v1::Account* response) override;
  grpc::Status GetAccount(grpc::ServerContext* context, const v1::GetAccountRequest* request,
                          v1::Account* response) override;
  grpc::Status Transfer(grpc::ServerContext* context, const v1::TransferRequest* request,
                        v1::TransferReceipt* response) override;
  grpc::Status ListTransfers(grpc::ServerContext* context, const v1::ListTransfersRequest* request,
                             grpc::ServerWriter<v1::TransferReceipt>* writer) override;
  grpc::Status Audit(grpc::ServerContext* context, const v1::AuditRequest* request,
                     v1::AuditReport* response) override;

 private:
  // The two client streams, their requests raw; they take the place of the
  // generated ImportTransfers and TransferStream, which are never called.
  grpc::Status ImportRawTransfers(grpc::ServerContext* context,
                                  grpc::ServerReader<grpc::ByteBuffer>* reader,
                                  v1::ImportSummary* response);
  grpc::Status RawTransferStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::TransferResult, grpc::ByteBuffer>* stream);

  // Measures the call in `series` (CallMeasure) until the status it ends
  // with, authenticates the caller and runs `call(caller, watched, measure)`
  // on this thread with a place in flight and the call under watch, or
  // refuses it.
  template <typename Call>
  grpc::Status Admitted(grpc::ServerContext& context, metrics::CallMetrics::MethodSeries& series,
                        Call call);

  Ledger& ledger_;
  const security::Authenticator& authenticator_;
  InflightLimit& limit_;
  metrics::CallMetrics& metrics_;
  // Each method's series, resolved once.
  metrics::CallMetrics::MethodSeries& open_account_;
  metrics::CallMetrics::MethodSeries& get_account_;
  metrics::CallMetrics::MethodSeries& transfer_;
  metrics::CallMetrics::MethodSeries& list_transfers_;
  metrics::CallMetrics::MethodSeries& import_transfers_;
  metrics::CallMetrics::MethodSeries& transfer_stream_;
  metrics::CallMetrics::MethodSeries& audit_;
  std::atomic<int> threads_{0};
  CancellationWatch watch_;
};

}  // namespace ledger
