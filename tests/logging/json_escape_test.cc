// AppendJsonString: whatever a message holds, the result is one valid JSON
// string on one line, and valid UTF-8 passes unchanged.
#include "logging/json_escape.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ledger::logging {
namespace {

std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(text, out);
  return out;
}

TEST(JsonEscape, QuotesBackslashesAndControlCharactersAreEscaped) {
  EXPECT_EQ(Quoted("say \"hi\"\\now"), R"("say \"hi\"\\now")");
  EXPECT_EQ(Quoted("a\nb\rc\td"), R"("a\nb\rc\td")");
  EXPECT_EQ(Quoted(std::string_view("\0\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
}

TEST(JsonEscape, ValidUtf8PassesUnchanged) {
  EXPECT_EQ(Quoted("\xc3\xbc \xe2\x82\xac \xf0\x9f\x92\xb8"),
            "\"\xc3\xbc \xe2\x82\xac \xf0\x9f\x92\xb8\"");
}

TEST(JsonEscape, EachByteThatIsNotUtf8IsEscapedAlone) {
  EXPECT_EQ(Quoted("\xff\xfe"), R"("\u00ff\u00fe")");
  // A stray continuation byte, a sequence cut short, an overlong '/', a surrogate.
  EXPECT_EQ(Quoted("a\x80z"), R"("a\u0080z")");
  EXPECT_EQ(Quoted("\xe2\x82z"), R"("\u00e2\u0082z")");
  EXPECT_EQ(Quoted("\xc0\xaf"), R"("\u00c0\u00af")");
  EXPECT_EQ(Quoted("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");
  EXPECT_EQ(Quoted("\xf4\x90\x80\x80"), R"("\u00f4\u0090\u0080\u0080")");
}

}  // namespace
}  // namespace ledger::logging
