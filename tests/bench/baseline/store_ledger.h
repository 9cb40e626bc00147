// The hand-written server's ledger on the product's own embedded store: the
// same three methods as BaselineLedger, each validated by the product's rules
// (ledger_rules.h) and answered by one call of its MemoryStore, which keeps
// the journal and the request ids as ledger-server's does. So the server
// built on it spends on the store what ledger-server spends there, and what
// ledger-server spends beyond it is its serving and its handlers: the
// coroutines, the store's timing, metrics, limits.
//
// MemoryStore's calls are coroutines that never suspend; SyncWait runs each
// one to its end on the calling thread, for a frame and an uncontended mutex
// more than a plain function call.
#pragma once

#include "grpcpp/support/status.h"
#include "ledger/v1/ledger.pb.h"
#include "service/stores/memory_store.h"

namespace ledger::baseline {

class StoreLedger {
 public:
  grpc::Status OpenAccount(const v1::OpenAccountRequest& request, v1::Account* reply);
  grpc::Status GetAccount(const v1::GetAccountRequest& request, v1::Account* reply);
  grpc::Status Transfer(const v1::TransferRequest& request, v1::TransferReceipt* reply);

 private:
  MemoryStore store_;
};

}  // namespace ledger::baseline
