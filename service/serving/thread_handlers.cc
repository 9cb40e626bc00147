#include "service/serving/thread_handlers.h"

#include <mutex>

#include "coro/sync_wait.h"
#include "service/serving/grpc_status.h"
#include "service/serving/handler_failure.h"

namespace ledger {
namespace {

using Watched = CancellationWatch::Watched;

template <typename Response>
grpc::Status Respond(absl::StatusOr<Response> result, Response& response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  response = *std::move(result);
  return grpc::Status::OK;
}

// Counts the calling thread in `threads` from its first call until it exits.
void CountThisThread(std::atomic<int>& threads) {
  struct Counted {
    std::atomic<int>* threads = nullptr;
    ~Counted() {
      if (threads) threads->fetch_sub(1, std::memory_order_relaxed);
    }
  };
  thread_local Counted counted;
  if (counted.threads == nullptr) {
    counted.threads = &threads;
    threads.fetch_add(1, std::memory_order_relaxed);
  }
}

// Reads the next request of a client stream. A read that fails because the
// call died, not because the client half-closed, stops the call's
// Cancellation at once (gRPC marks the context cancelled before Read
// returns), so the Ledger ends the call CANCELLED, not OK.
template <typename Stream>
auto ReadFrom(Stream* stream, const grpc::ServerContext& context, Watched& watched) {
  return [stream, &context, &watched](v1::TransferRequest& request) -> coro::Task<bool> {
    if (stream->Read(&request)) co_return true;
    if (context.IsCancelled()) watched.Cancelled();
    co_return false;
  };
}

}  // namespace

template <typename Call>
grpc::Status ThreadHandlers::Admitted(grpc::ServerContext& context, Call call) {
  CountThisThread(threads_);
  const absl::StatusOr<Caller> caller = authenticator_.Authenticate(context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  InflightLimit::Slot slot = limit_.TryEnter();
  if (!slot) return limit_.Refusal();
  Watched watched(watch_, context);
  try {
    return call(*caller, watched);
  } catch (...) {
    return HandlerThrew(context);
  }
}

grpc::Status ThreadHandlers::OpenAccount(grpc::ServerContext* context,
                                         const v1::OpenAccountRequest* request,
                                         v1::Account* response) {
  return Admitted(*context, [&](const Caller& caller, Watched& watched) {
    return Respond(coro::SyncWait(ledger_.OpenAccount(caller, *request, watched.cancellation())),
                   *response);
  });
}

grpc::Status ThreadHandlers::GetAccount(grpc::ServerContext* context,
                                        const v1::GetAccountRequest* request,
                                        v1::Account* response) {
  return Admitted(*context, [&](const Caller& caller, Watched& watched) {
    return Respond(coro::SyncWait(ledger_.GetAccount(caller, *request, watched.cancellation())),
                   *response);
  });
}

grpc::Status ThreadHandlers::Transfer(grpc::ServerContext* context,
                                      const v1::TransferRequest* request,
                                      v1::TransferReceipt* response) {
  return Admitted(*context, [&](const Caller& caller, Watched& watched) {
    return Respond(coro::SyncWait(ledger_.Transfer(caller, *request, watched.cancellation())),
                   *response);
  });
}

grpc::Status ThreadHandlers::ListTransfers(grpc::ServerContext* context,
                                           const v1::ListTransfersRequest* request,
                                           grpc::ServerWriter<v1::TransferReceipt>* writer) {
  return Admitted(*context, [&](const Caller& caller, Watched& watched) {
    auto write = [writer](const v1::TransferReceipt& receipt) -> coro::Task<bool> {
      co_return writer->Write(receipt);
    };
    return ToGrpcStatus(
        coro::SyncWait(ledger_.ListTransfers(caller, *request, write, watched.cancellation())));
  });
}

grpc::Status ThreadHandlers::ImportTransfers(grpc::ServerContext* context,
                                             grpc::ServerReader<v1::TransferRequest>* reader,
                                             v1::ImportSummary* response) {
  return Admitted(*context, [&](const Caller& caller, Watched& watched) {
    auto read = ReadFrom(reader, *context, watched);
    return Respond(coro::SyncWait(ledger_.ImportTransfers(caller, read, watched.cancellation())),
                   *response);
  });
}

grpc::Status ThreadHandlers::TransferStream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::TransferResult, v1::TransferRequest>* stream) {
  return Admitted(*context, [&](const Caller& caller, Watched& watched) {
    auto read = ReadFrom(stream, *context, watched);
    // Results may be written by several transfers; the sync stream takes one
    // write at a time.
    std::mutex write_mutex;
    auto write = [stream, &write_mutex](const v1::TransferResult& result) -> coro::Task<bool> {
      std::lock_guard lock(write_mutex);
      co_return stream->Write(result);
    };
    return ToGrpcStatus(
        coro::SyncWait(ledger_.TransferStream(caller, read, write, watched.cancellation())));
  });
}

grpc::Status ThreadHandlers::Audit(grpc::ServerContext* context, const v1::AuditRequest* request,
                                   v1::AuditReport* response) {
  return Admitted(*context, [&](const Caller& caller, Watched& watched) {
    return Respond(coro::SyncWait(ledger_.Audit(caller, *request, watched.cancellation())),
                   *response);
  });
}

}  // namespace ledger
