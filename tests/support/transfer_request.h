// The one way the tests build a TransferRequest, in-process or over gRPC.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/v1/ledger.pb.h"

namespace ledger::testing {

inline v1::TransferRequest Request(const std::string& request_id, const std::string& from_id,
                                   const std::string& to_id, int64_t amount) {
  v1::TransferRequest request;
  request.set_request_id(request_id);
  request.set_from_id(from_id);
  request.set_to_id(to_id);
  request.set_amount(amount);
  return request;
}

}  // namespace ledger::testing
