# cmake -DINPUT=<descriptor set> -DOUTPUT=<.cc> -P embed_descriptor_set.cmake:
# the bytes of INPUT as the definition of ledger::ApiDescriptorSet()
# (proto/api_descriptor_set.h), so the server needs no file beside it.
file(READ ${INPUT} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# About 20 bytes a line, so that the file stays readable in an editor.
string(REGEX REPLACE "((0x..,){20})" "\\1\n    " bytes "${bytes}")
file(WRITE ${OUTPUT} "// Generated from ${INPUT} by embed_descriptor_set.cmake.
#include \"proto/api_descriptor_set.h\"

namespace ledger {
namespace {
constexpr unsigned char kBytes[] = {
    ${bytes}};
}  // namespace

std::string_view ApiDescriptorSet() {
  return {reinterpret_cast<const char*>(kBytes), sizeof kBytes};
}

}  // namespace ledger
")
