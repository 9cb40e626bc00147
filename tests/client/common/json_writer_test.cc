// The clients' one JSON writer: commas, escaping, absent values, protos.
#include "client/common/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "ledger/v1/ledger.pb.h"

namespace ledger {
namespace {

TEST(JsonWriter, PlacesCommasAndEscapes) {
  JsonWriter json;
  json.BeginObject().Key("a").Int(1).Key("b\"").BeginArray().String("x\ny").Double(0.5).Bool(true);
  json.Null().BeginArray().EndArray().EndArray().Key("nan").Double(std::nan("")).EndObject();
  EXPECT_EQ(json.Take(), "{\"a\":1,\"b\\\"\":[\"x\\ny\",0.5,true,null,[]],\"nan\":null}\n");
}

TEST(JsonWriter, AbsentValuesAreNull) {
  JsonWriter json;
  json.BeginArray().Int(std::optional<int64_t>()).Double(std::optional<double>(2.5)).EndArray();
  EXPECT_EQ(json.Take(), "[null,2.5]\n");
}

TEST(JsonWriter, MessagesInTheProto3Mapping) {
  v1::Account account;
  account.set_id("alice");
  account.set_balance(250);
  JsonWriter json;
  json.BeginArray().Message(account).Int(1).EndArray();
  EXPECT_EQ(json.Take(),
            "[{\"id\":\"alice\",\"balance\":\"250\",\"version\":\"0\",\"owner\":\"\"},1]\n");
}

}  // namespace
}  // namespace ledger
