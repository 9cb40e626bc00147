// FailedCallLog alone: which codes it logs, what a line says, and how it
// holds back a flood.
#include "service/metrics/failed_call_log.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "logging/log.h"

namespace ledger::metrics {
namespace {

FailedCall Call(grpc::StatusCode code, absl::string_view message = "store down") {
  return {.mode = "thread",
          .method = "/ledger.v1.Ledger/Transfer",
          .code = code,
          .message = message,
          .detail = "",
          .peer = "ipv4:127.0.0.1:5000",
          .duration = absl::Milliseconds(12)};
}

// A line's fields as JSON would show them, values as text.
using Fields = std::map<std::string, std::string>;

std::string Text(const logging::Field& field) {
  if (const auto* text = std::get_if<absl::string_view>(&field.value)) return std::string(*text);
  if (const auto* integer = std::get_if<int64_t>(&field.value)) return std::to_string(*integer);
  return std::to_string(std::get<double>(field.value));
}

class FailedCallLogTest : public ::testing::Test {
 protected:
  std::vector<std::string> lines_;
  std::vector<Fields> fields_;
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  FailedCallLog log_{3,
                     [this](absl::string_view line, std::initializer_list<logging::Field> fields) {
                       lines_.emplace_back(line);
                       Fields& kept = fields_.emplace_back();
                       for (const logging::Field& field : fields) {
                         kept[std::string(field.key)] = Text(field);
                       }
                     },
                     [this] { return now_; }};
};

TEST(FailedCallCodes, OnlyCodesThatSayTheServerFailedAreServerFailures) {
  for (grpc::StatusCode code : {grpc::StatusCode::INTERNAL, grpc::StatusCode::UNAVAILABLE,
                                grpc::StatusCode::UNKNOWN, grpc::StatusCode::DATA_LOSS}) {
    EXPECT_TRUE(IsServerFailure(code)) << code;
  }
  for (grpc::StatusCode code :
       {grpc::StatusCode::OK, grpc::StatusCode::CANCELLED, grpc::StatusCode::INVALID_ARGUMENT,
        grpc::StatusCode::DEADLINE_EXCEEDED, grpc::StatusCode::NOT_FOUND,
        grpc::StatusCode::ALREADY_EXISTS, grpc::StatusCode::PERMISSION_DENIED,
        grpc::StatusCode::RESOURCE_EXHAUSTED, grpc::StatusCode::FAILED_PRECONDITION,
        grpc::StatusCode::UNAUTHENTICATED}) {
    EXPECT_FALSE(IsServerFailure(code)) << code;
  }
}

TEST_F(FailedCallLogTest, ALineNamesTheCallItsCodeAndWhyOnOneLine) {
  log_.Write(Call(grpc::StatusCode::UNAVAILABLE, "PostgreSQL is unavailable:\nno route"));
  FailedCall threw = Call(grpc::StatusCode::INTERNAL, "internal error");
  threw.detail = "bad \"thing\"";
  log_.Write(threw);
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[0],
            "failed call: method=/ledger.v1.Ledger/Transfer code=UNAVAILABLE mode=thread "
            "peer=ipv4:127.0.0.1:5000 duration=12ms message=\"PostgreSQL is unavailable:\\nno "
            "route\"");
  EXPECT_EQ(lines_[1],
            "failed call: method=/ledger.v1.Ledger/Transfer code=INTERNAL mode=thread "
            "peer=ipv4:127.0.0.1:5000 duration=12ms message=\"internal error\" "
            "detail=\"bad \\\"thing\\\"\"");
  // The same, as JSON's keys.
  EXPECT_EQ(fields_[1], (Fields{{"method", "/ledger.v1.Ledger/Transfer"},
                                {"code", "INTERNAL"},
                                {"mode", "thread"},
                                {"peer", "ipv4:127.0.0.1:5000"},
                                {"duration_ms", "12.000000"},
                                {"status_message", "internal error"},
                                {"detail", "bad \"thing\""}}));
  EXPECT_EQ(fields_[0].at("detail"), "");
}

TEST_F(FailedCallLogTest, PastTheRateTheRestAreCountedAndTheNextLineSaysHowMany) {
  for (int i = 0; i < 5; ++i) log_.Write(Call(grpc::StatusCode::INTERNAL));
  EXPECT_EQ(lines_.size(), 3u);  // three a second
  now_ += absl::Milliseconds(999);
  log_.Write(Call(grpc::StatusCode::INTERNAL));
  EXPECT_EQ(lines_.size(), 3u);  // the same second

  now_ += absl::Milliseconds(1);
  log_.Write(Call(grpc::StatusCode::DATA_LOSS));
  ASSERT_EQ(lines_.size(), 5u);
  EXPECT_EQ(lines_[3], "failed calls: 3 more were not logged (at most 3 lines a second)");
  EXPECT_EQ(fields_[3], (Fields{{"not_logged", "3"}}));
  EXPECT_NE(lines_[4].find("code=DATA_LOSS"), std::string::npos) << lines_[4];

  // A quiet second later, nothing was left out.
  now_ += absl::Seconds(5);
  log_.Write(Call(grpc::StatusCode::UNKNOWN));
  ASSERT_EQ(lines_.size(), 6u);
  EXPECT_NE(lines_[5].find("code=UNKNOWN"), std::string::npos) << lines_[5];
}

}  // namespace
}  // namespace ledger::metrics
