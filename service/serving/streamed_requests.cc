#include "service/serving/streamed_requests.h"

#include "absl/strings/str_cat.h"
#include "service/serving/raw_messages.h"

namespace ledger {

bool StreamedRequests::Parse(grpc::ByteBuffer& message, v1::TransferRequest& request) {
  ++read_;
  const bool parsed = ParseMessage(message, request);
  if (!parsed && malformed_ == 0) malformed_ = read_;
  return parsed;
}

absl::Status StreamedRequests::Outcome(absl::Status ledger_status) const {
  if (malformed_ == 0) return ledger_status;
  return absl::InvalidArgumentError(
      absl::StrCat("request ", malformed_, " of the stream is ",
                   NotAValid(v1::TransferRequest::descriptor()->full_name()),
                   "; the stream ends there: the requests before it were handled, none after it "
                   "is read"));
}

}  // namespace ledger
