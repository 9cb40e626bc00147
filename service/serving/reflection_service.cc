#include "service/serving/reflection_service.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "proto/api_descriptor_set.h"

namespace ledger {
namespace {

namespace protobuf = google::protobuf;
using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;

// The API's files, parsed once per process: a pool to find symbols in, and
// each file as protoc serialized it, comments included, to send.
class ApiFiles {
 public:
  ApiFiles() {
    protobuf::FileDescriptorSet set;
    const std::string_view bytes = ApiDescriptorSet();
    if (!set.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      throw std::logic_error("the API descriptor set compiled into the server does not parse");
    }
    // protoc writes each file after its imports, so each builds in turn.
    for (const protobuf::FileDescriptorProto& file : set.file()) {
      if (pool_.BuildFile(file) == nullptr) {
        throw std::logic_error("the API descriptor set does not build: " + file.name());
      }
      serialized_.emplace(file.name(), file.SerializeAsString());
    }
  }

  const protobuf::DescriptorPool& pool() const { return pool_; }

  // `file` and then, once each, every file it imports directly or not: what
  // a client needs to build the file's descriptors.
  void AddWithImports(const protobuf::FileDescriptor& file, std::unordered_set<std::string>& sent,
                      ServerReflectionResponse& response) const {
    if (!sent.insert(file.name()).second) return;
    response.mutable_file_descriptor_response()->add_file_descriptor_proto(
        serialized_.at(file.name()));
    for (int i = 0; i < file.dependency_count(); ++i) {
      AddWithImports(*file.dependency(i), sent, response);
    }
  }

 private:
  protobuf::DescriptorPool pool_;
  std::map<std::string, std::string, std::less<>> serialized_;
};

const ApiFiles& Files() {
  static const ApiFiles* const files = new ApiFiles();
  return *files;
}

ServerReflectionResponse Error(grpc::StatusCode code, std::string message) {
  ServerReflectionResponse response;
  response.mutable_error_response()->set_error_code(code);
  response.mutable_error_response()->set_error_message(std::move(message));
  return response;
}

ServerReflectionResponse FileAnswer(const protobuf::FileDescriptor* file,
                                    const std::string& asked_for) {
  if (file == nullptr) return Error(grpc::StatusCode::NOT_FOUND, asked_for + " not found");
  ServerReflectionResponse response;
  std::unordered_set<std::string> sent;
  Files().AddWithImports(*file, sent, response);
  return response;
}

}  // namespace

ReflectionService::ReflectionService(std::vector<std::string> services)
    : services_(std::move(services)) {
  services_.push_back(grpc::health::v1::Health::service_full_name());
  services_.push_back(grpc::reflection::v1alpha::ServerReflection::service_full_name());
  std::sort(services_.begin(), services_.end());
  Files();  // a descriptor set that does not build fails at start, not at the first call
}

grpc::Status ReflectionService::ServerReflectionInfo(
    grpc::ServerContext*,
    grpc::ServerReaderWriter<ServerReflectionResponse, ServerReflectionRequest>* stream) {
  ServerReflectionRequest request;
  while (stream->Read(&request)) {
    if (!stream->Write(Answer(request))) break;
  }
  return grpc::Status::OK;
}

ServerReflectionResponse ReflectionService::Answer(const ServerReflectionRequest& request) const {
  const protobuf::DescriptorPool& pool = Files().pool();
  ServerReflectionResponse response;
  switch (request.message_request_case()) {
    case ServerReflectionRequest::kFileByFilename:
      response = FileAnswer(pool.FindFileByName(request.file_by_filename()),
                            "file " + request.file_by_filename());
      break;
    case ServerReflectionRequest::kFileContainingSymbol:
      response = FileAnswer(pool.FindFileContainingSymbol(request.file_containing_symbol()),
                            "symbol " + request.file_containing_symbol());
      break;
    case ServerReflectionRequest::kFileContainingExtension: {
      const auto& extension = request.file_containing_extension();
      const protobuf::Descriptor* type = pool.FindMessageTypeByName(extension.containing_type());
      const protobuf::FieldDescriptor* field =
          type == nullptr ? nullptr
                          : pool.FindExtensionByNumber(type, extension.extension_number());
      response = FileAnswer(field == nullptr ? nullptr : field->file(),
                            "extension " + std::to_string(extension.extension_number()) + " of " +
                                extension.containing_type());
      break;
    }
    case ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const protobuf::Descriptor* type =
          pool.FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type == nullptr) {
        response = Error(grpc::StatusCode::NOT_FOUND,
                         "type " + request.all_extension_numbers_of_type() + " not found");
        break;
      }
      std::vector<const protobuf::FieldDescriptor*> extensions;
      pool.FindAllExtensions(type, &extensions);
      auto& numbers = *response.mutable_all_extension_numbers_response();
      numbers.set_base_type_name(type->full_name());
      for (const protobuf::FieldDescriptor* extension : extensions) {
        numbers.add_extension_number(extension->number());
      }
      break;
    }
    case ServerReflectionRequest::kListServices:
      for (const std::string& name : services_) {
        response.mutable_list_services_response()->add_service()->set_name(name);
      }
      break;
    case ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
      response = Error(grpc::StatusCode::INVALID_ARGUMENT, "the request asks nothing");
      break;
  }
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  return response;
}

}  // namespace ledger
