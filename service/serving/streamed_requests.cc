#include "service/serving/streamed_requests.h"

#include <grpcpp/support/proto_buffer_reader.h>

#include "absl/strings/str_cat.h"

namespace ledger {

bool StreamedRequests::Parse(grpc::ByteBuffer& message, v1::TransferRequest& request) {
  ++read_;
  bool parsed = false;
  {
    grpc::ProtoBufferReader reader(&message);
    parsed = reader.status().ok() && request.ParseFromZeroCopyStream(&reader);
  }
  message.Clear();
  if (!parsed && malformed_ == 0) malformed_ = read_;
  return parsed;
}

absl::Status StreamedRequests::Outcome(absl::Status ledger_status) const {
  if (malformed_ == 0) return ledger_status;
  return absl::InvalidArgumentError(
      absl::StrCat("request ", malformed_, " of the stream is not a valid ",
                   v1::TransferRequest::descriptor()->full_name(),
                   " (protobuf cannot parse it; string fields must be UTF-8); the stream ends "
                   "there: the requests before it were handled, none after it is read"));
}

}  // namespace ledger
