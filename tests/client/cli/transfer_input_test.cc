// CSV and JSON-lines input of `ledger import` and `ledger stream`.
#include "client/cli/transfer_input.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"

namespace ledger::cli {
namespace {

using Fields = std::tuple<std::string, std::string, std::string, int64_t>;

// The fields of each request, comparable and printable as a whole.
std::vector<Fields> FieldsOf(const std::vector<v1::TransferRequest>& requests) {
  std::vector<Fields> fields;
  for (const v1::TransferRequest& r : requests) {
    fields.emplace_back(r.request_id(), r.from_id(), r.to_id(), r.amount());
  }
  return fields;
}

// The error's message, which must name the source and line.
std::string ErrorOf(absl::string_view content, InputFormat format) {
  absl::StatusOr<std::vector<v1::TransferRequest>> parsed =
      ParseTransfers(content, format, "in.txt");
  EXPECT_FALSE(parsed.ok());
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

TEST(TransferInput, CsvColumnsInAnyOrderBlankLinesAndCrlf) {
  absl::StatusOr<std::vector<v1::TransferRequest>> parsed = ParseTransfers(
      "amount, to_id ,from_id,request_id\r\n\r\n250,bob,alice,r-1\r\n  \n7,alice,bob,r-2\n",
      InputFormat::kCsv, "in.csv");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(FieldsOf(*parsed),
            (std::vector<Fields>{{"r-1", "alice", "bob", 250}, {"r-2", "bob", "alice", 7}}));
}

TEST(TransferInput, AnEmptyRequestIdGetsANewOne) {
  absl::StatusOr<std::vector<v1::TransferRequest>> parsed =
      ParseTransfers("request_id,from_id,to_id,amount\n,a,b,1\n,a,b,1\n", InputFormat::kCsv, "f");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].request_id().size(), 36u);
  EXPECT_NE((*parsed)[0].request_id(), (*parsed)[1].request_id());

  parsed =
      ParseTransfers(R"({"fromId":"a","toId":"b","amount":"1"})", InputFormat::kJsonLines, "f");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].request_id().size(), 36u);
}

TEST(TransferInput, EmptyInputsHoldNoTransfers) {
  for (auto [content, format] : {std::pair{"", InputFormat::kCsv},
                                 std::pair{"request_id,from_id,to_id,amount\n", InputFormat::kCsv},
                                 std::pair{"\n\n", InputFormat::kJsonLines}}) {
    absl::StatusOr<std::vector<v1::TransferRequest>> parsed = ParseTransfers(content, format, "f");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(parsed->empty());
  }
}

TEST(TransferInput, CsvErrorsNameTheLine) {
  EXPECT_EQ(ErrorOf("\nrequest_id,from_id,to,amount\n", InputFormat::kCsv),
            "in.txt:2: expected the CSV header \"request_id,from_id,to_id,amount\", got "
            "\"request_id,from_id,to,amount\"");
  EXPECT_TRUE(absl::StartsWith(
      ErrorOf("request_id,from_id,to_id,amount,amount\n", InputFormat::kCsv), "in.txt:1: "));
  EXPECT_EQ(ErrorOf("request_id,from_id,to_id,amount\nr,a,b,1\n\nr,a,b,1,2\n", InputFormat::kCsv),
            "in.txt:4: expected 4 comma-separated fields (request_id,from_id,to_id,amount), got 5");
  EXPECT_EQ(ErrorOf("request_id,from_id,to_id,amount\nr,a,b,1.5\n", InputFormat::kCsv),
            "in.txt:2: amount \"1.5\" is not a whole number of minor units");
  EXPECT_EQ(
      ErrorOf("request_id,from_id,to_id,amount\nr,a,b,99999999999999999999\n", InputFormat::kCsv),
      "in.txt:2: amount \"99999999999999999999\" is not a whole number of minor units");
}

TEST(TransferInput, JsonLinesTakeBothFieldNameStyles) {
  absl::StatusOr<std::vector<v1::TransferRequest>> parsed = ParseTransfers(
      "{\"requestId\":\"r-1\",\"fromId\":\"alice\",\"toId\":\"bob\",\"amount\":\"250\"}\n"
      "{\"request_id\":\"r-2\",\"from_id\":\"bob\",\"to_id\":\"alice\",\"amount\":7}\n",
      InputFormat::kJsonLines, "in.jsonl");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(FieldsOf(*parsed),
            (std::vector<Fields>{{"r-1", "alice", "bob", 250}, {"r-2", "bob", "alice", 7}}));
}

TEST(TransferInput, JsonLinesErrorsNameTheLineOnOneLine) {
  const std::string unknown =
      ErrorOf("{\"fromId\":\"a\"}\n{\"ammount\":1}\n", InputFormat::kJsonLines);
  EXPECT_EQ(unknown, "in.txt:2: not a TransferRequest JSON object: ammount: Cannot find field.");
  const std::string broken = ErrorOf("\n\n{\"fromId\": \n", InputFormat::kJsonLines);
  EXPECT_TRUE(absl::StartsWith(broken, "in.txt:3: not a TransferRequest JSON object: ")) << broken;
  EXPECT_FALSE(absl::StrContains(broken, "\n")) << broken;
  EXPECT_TRUE(absl::StartsWith(ErrorOf("[1]\n", InputFormat::kJsonLines), "in.txt:1: "));
}

TEST(TransferInput, FormatComesFromTheExtensionElseTheFirstCharacter) {
  EXPECT_EQ(DetectInputFormat("t.csv", "{"), InputFormat::kCsv);
  EXPECT_EQ(DetectInputFormat("T.CSV", "{"), InputFormat::kCsv);
  EXPECT_EQ(DetectInputFormat("t.jsonl", "request_id"), InputFormat::kJsonLines);
  EXPECT_EQ(DetectInputFormat("t.json", "request_id"), InputFormat::kJsonLines);
  EXPECT_EQ(DetectInputFormat("-", "\n  \r\n\t{\"fromId\":\"a\"}"), InputFormat::kJsonLines);
  EXPECT_EQ(DetectInputFormat("-", "request_id,from_id,to_id,amount"), InputFormat::kCsv);
  EXPECT_EQ(DetectInputFormat("transfers.txt", ""), InputFormat::kCsv);
}

TEST(TransferInput, FormatFlag) {
  EXPECT_EQ(*ParseInputFormat("csv"), InputFormat::kCsv);
  EXPECT_EQ(*ParseInputFormat("jsonl"), InputFormat::kJsonLines);
  EXPECT_EQ(ParseInputFormat("json").status().message(), "--format=json is not one of csv, jsonl");
}

TEST(TransferInput, AnUnreadableFileIsAnInvalidArgument) {
  absl::StatusOr<std::vector<v1::TransferRequest>> read =
      ReadTransfers("/nonexistent/transfers.csv", "");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(read.status().message(),
            "cannot read /nonexistent/transfers.csv: No such file or directory");
}

}  // namespace
}  // namespace ledger::cli
