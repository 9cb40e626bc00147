// StreamedRequests: the requests of one ImportTransfers or TransferStream
// call, read by its handler as raw bytes and parsed here.
//
// gRPC 1.51's C++ server reports a streamed message it cannot parse (a
// proto3 string field that is not UTF-8, bytes that are not protobuf) to the
// handler exactly as it reports the client's end of the stream: Read()
// returns false, in the async and the sync API alike, and neither the call
// nor an interceptor can tell the two apart. A handler that read typed
// messages would end such a call OK and silently drop the rest of the
// stream. So both modes read these two methods' requests as bytes
// (coroutine_service.h, ThreadHandlers' constructor) and hand each one to
// Parse; a message that does not parse ends the stream there, and Outcome
// turns the call's status into INVALID_ARGUMENT naming it. The requests
// before it were handled by the Ledger as usual and stand.
#pragma once

#include <grpcpp/support/byte_buffer.h>

#include <cstdint>

#include "absl/status/status.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger {

class StreamedRequests {
 public:
  StreamedRequests() = default;
  StreamedRequests(const StreamedRequests&) = delete;
  StreamedRequests& operator=(const StreamedRequests&) = delete;

  // Parses the stream's next message into `request` (consuming `message`).
  // False if it is not a valid TransferRequest: the stream ends there, and
  // the handler must read no further.
  bool Parse(grpc::ByteBuffer& message, v1::TransferRequest& request);

  // What the call ends with, given the status the Ledger answered once the
  // stream ended: INVALID_ARGUMENT if a message could not be parsed (that
  // message ended the stream, whatever the Ledger made of the end), else
  // `ledger_status`.
  absl::Status Outcome(absl::Status ledger_status) const;

 private:
  int64_t read_ = 0;       // messages parsed or not so far
  int64_t malformed_ = 0;  // the first that did not parse, counted from 1; 0: none
};

}  // namespace ledger
