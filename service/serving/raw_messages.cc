#include "service/serving/raw_messages.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include "absl/strings/str_cat.h"

namespace ledger {

bool ParseMessage(grpc::ByteBuffer& bytes, google::protobuf::MessageLite& message) {
  bool parsed = false;
  {
    grpc::ProtoBufferReader reader(&bytes);
    parsed = reader.status().ok() && message.ParseFromZeroCopyStream(&reader);
  }
  bytes.Clear();
  return parsed;
}

bool SerializeMessage(const google::protobuf::MessageLite& message, grpc::ByteBuffer& bytes) {
  bool own_buffer = false;
  return grpc::SerializationTraits<google::protobuf::MessageLite>::Serialize(message, &bytes,
                                                                             &own_buffer)
      .ok();
}

std::string NotAValid(const std::string& type) {
  return absl::StrCat("not a valid ", type,
                      " (protobuf cannot parse it; string fields must be UTF-8)");
}

grpc::Status UnparseableRequest(const std::string& type) {
  return grpc::Status(grpc::StatusCode::INTERNAL, "the request is " + NotAValid(type));
}

}  // namespace ledger
