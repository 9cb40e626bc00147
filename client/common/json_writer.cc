#include "client/common/json_writer.h"

#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ledger {
namespace {

std::string Quote(absl::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&quoted, absl::StrFormat("\\u%04x", c));
        } else {
          quoted += c;
        }
    }
  }
  quoted += '"';
  return quoted;
}

}  // namespace

JsonWriter& JsonWriter::Raw(absl::string_view json) {
  if (after_key_) {
    after_key_ = false;
  } else if (!has_element_.empty()) {
    if (has_element_.back()) out_ += ',';
    has_element_.back() = true;
  }
  absl::StrAppend(&out_, json);
  return *this;
}

JsonWriter& JsonWriter::Open(char bracket) {
  Raw(absl::string_view(&bracket, 1));
  has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::Close(char bracket) {
  has_element_.pop_back();
  out_ += bracket;
  return *this;
}

JsonWriter& JsonWriter::Key(absl::string_view key) {
  Raw(absl::StrCat(Quote(key), ":"));
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(absl::string_view value) { return Raw(Quote(value)); }

JsonWriter& JsonWriter::Int(int64_t value) { return Raw(absl::StrCat(value)); }

// Twelve significant digits: more than any measurement here carries.
JsonWriter& JsonWriter::Double(double value) {
  return Raw(std::isfinite(value) ? absl::StrFormat("%.12g", value) : "null");
}

JsonWriter& JsonWriter::Bool(bool value) { return Raw(value ? "true" : "false"); }

JsonWriter& JsonWriter::Null() { return Raw("null"); }

JsonWriter& JsonWriter::Message(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;  // a reader never has to know the defaults
  std::string json;
  // Printing a well-formed message cannot fail: every field has a JSON form.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return Raw(json);
}

std::string JsonWriter::Take() {
  out_ += '\n';
  return std::move(out_);
}

}  // namespace ledger
