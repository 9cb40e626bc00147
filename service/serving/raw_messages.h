// The ledger's messages as the raw methods carry them, grpc::ByteBuffer,
// parsed and serialized with gRPC's own protobuf code. Coroutine mode serves
// every method raw (coroutine_service.h says why), and both modes read the
// client streams raw (streamed_requests.h).
#pragma once

#include <google/protobuf/message_lite.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include <string>

namespace ledger {

// Parses `bytes` into `message` and empties `bytes`. False if they are not a
// valid message: not protobuf, or a string field that is not UTF-8.
bool ParseMessage(grpc::ByteBuffer& bytes, google::protobuf::MessageLite& message);

// False only for a message over 2 GiB, which the ledger never makes.
bool SerializeMessage(const google::protobuf::MessageLite& message, grpc::ByteBuffer& bytes);

// "not a valid <type> (protobuf cannot parse it; ...)": how a request and
// a streamed message that do not parse are both described.
std::string NotAValid(const std::string& type);

// The status of a unary or server-streaming call whose request of type
// `type` does not parse: INTERNAL, as gRPC itself answers such a call in
// thread mode (and would in coroutine mode, unseen, were its methods typed),
// here saying why.
grpc::Status UnparseableRequest(const std::string& type);

}  // namespace ledger
