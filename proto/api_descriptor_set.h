// The API's protos as one serialized google.protobuf.FileDescriptorSet:
// ledger/v1/ledger.proto, grpc/health/v1/health.proto and
// grpc/reflection/v1alpha/reflection.proto, each after its imports, with
// their comments (source info). Server reflection sends these files, so that
// tools show the rules the comments state; generated C++ code carries no
// comments. Built by proto/CMakeLists.txt.
#pragma once

#include <string_view>

namespace ledger {

std::string_view ApiDescriptorSet();

}  // namespace ledger
