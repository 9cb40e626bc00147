// JsonWriter: the one way the clients write JSON. It builds a document in one
// pass, placing commas and escaping strings, so report code says what it
// writes and not how; a proto message is written in the proto3 JSON mapping
// (camelCase names, 64-bit integers as strings, every field present).
//
//   JsonWriter json;
//   json.BeginObject().Key("calls").Int(12).Key("modes").BeginArray();
//   json.String("coroutine").EndArray().EndObject();
//   std::string text = json.Take();
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ledger {

class JsonWriter {
 public:
  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  // Not-a-number and infinities, which JSON lacks, are written as null.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // null for a value that is absent.
  JsonWriter& Int(std::optional<int64_t> value) { return value ? Int(*value) : Null(); }
  JsonWriter& Double(std::optional<double> value) { return value ? Double(*value) : Null(); }
  // The message as one object in the proto3 JSON mapping.
  JsonWriter& Message(const google::protobuf::Message& message);

  // The document, with a final newline.
  std::string Take();

 private:
  JsonWriter& Open(char bracket);
  JsonWriter& Close(char bracket);
  JsonWriter& Raw(absl::string_view json);  // a value, already JSON

  std::string out_;
  // One entry per open object or array: whether it has an element yet.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

}  // namespace ledger
