// The baseline server's ledger: accounts in one map behind one mutex, and
// each committed transfer's receipt kept by request_id so a retry returns it.
// Deliberately the least a server can do and still keep the API's rules for
// these three calls, so that what ledger-server spends beyond it is visible.
// No journal, no owners, no store latency, no metrics.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "grpcpp/support/status.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger::baseline {

class BaselineLedger {
 public:
  grpc::Status OpenAccount(const v1::OpenAccountRequest& request, v1::Account* reply);
  grpc::Status GetAccount(const v1::GetAccountRequest& request, v1::Account* reply);
  grpc::Status Transfer(const v1::TransferRequest& request, v1::TransferReceipt* reply);

 private:
  struct Balance {
    int64_t balance = 0;
    uint64_t version = 1;
  };

  std::mutex mutex_;
  std::unordered_map<std::string, Balance> accounts_;
  std::unordered_map<std::string, v1::TransferReceipt> receipts_;
  uint64_t next_sequence_ = 1;
};

}  // namespace ledger::baseline
