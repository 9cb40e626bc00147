// JsonWriter: builds a JSON document in one pass, placing commas and escaping
// strings, so report code says what it writes and not how. No dependency:
// the results are small and flat.
//
//   JsonWriter json;
//   json.BeginObject().Key("calls").Int(12).Key("modes").BeginArray();
//   json.String("coroutine").EndArray().EndObject();
//   std::string text = json.Take();
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ledger::load {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  // Not-a-number and infinities, which JSON lacks, are written as null.
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  // The document, with a final newline.
  std::string Take();

  static std::string Quote(absl::string_view text);

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open object or array: whether it has an element yet.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

}  // namespace ledger::load
