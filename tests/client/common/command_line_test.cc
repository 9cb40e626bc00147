// The command-line parser: absl's flag syntax, usage errors instead of exits.
#include "client/common/command_line.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/time/time.h"

ABSL_FLAG(std::string, test_name, "", "A string flag of this test.");
ABSL_FLAG(bool, test_switch, false, "A boolean flag of this test.");
ABSL_FLAG(absl::Duration, test_wait, absl::Seconds(1), "A duration flag of this test.");

namespace ledger {
namespace {

constexpr absl::string_view kThisFile = "command_line_test.cc";

absl::StatusOr<CommandLine> Parse(std::initializer_list<const char*> arguments) {
  std::vector<const char*> argv = {"ledger"};
  argv.insert(argv.end(), arguments);
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data(), {kThisFile});
}

std::string ErrorOf(std::initializer_list<const char*> arguments) {
  absl::StatusOr<CommandLine> parsed = Parse(arguments);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(parsed.status().message());
}

class CommandLineTest : public testing::Test {
  absl::FlagSaver restore_flags_;  // each test starts from the defaults
};

TEST_F(CommandLineTest, FlagsMayComeBeforeBetweenAndAfterArguments) {
  absl::StatusOr<CommandLine> parsed =
      Parse({"--test_switch", "transfer", "-test_name=x", "a", "--test_wait", "5s", "b"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->positional, (std::vector<std::string>{"transfer", "a", "b"}));
  EXPECT_EQ(parsed->flags_given, (std::set<std::string>{"test_name", "test_switch", "test_wait"}));
  EXPECT_FALSE(parsed->help);
  EXPECT_EQ(absl::GetFlag(FLAGS_test_name), "x");
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_switch));
  EXPECT_EQ(absl::GetFlag(FLAGS_test_wait), absl::Seconds(5));
}

TEST_F(CommandLineTest, BooleansTakeNoAndExplicitValues) {
  ASSERT_TRUE(Parse({"--test_switch=true", "--notest_switch"}).ok());
  EXPECT_FALSE(absl::GetFlag(FLAGS_test_switch));
  ASSERT_TRUE(Parse({"--test_switch=false", "--test_switch=1"}).ok());
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_switch));
}

TEST_F(CommandLineTest, NegativeNumbersAreArguments) {
  absl::StatusOr<CommandLine> parsed = Parse({"open", "a", "-5", "-0.5"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->positional, (std::vector<std::string>{"open", "a", "-5", "-0.5"}));
}

TEST_F(CommandLineTest, DashIsAnArgumentAndDoubleDashEndsTheFlags) {
  absl::StatusOr<CommandLine> parsed = Parse({"import", "-", "--", "--test_switch", "-5"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->positional, (std::vector<std::string>{"import", "-", "--test_switch", "-5"}));
  EXPECT_FALSE(absl::GetFlag(FLAGS_test_switch));
}

TEST_F(CommandLineTest, HelpInAnyForm) {
  for (const char* help : {"--help", "-help", "-h", "--helpshort"}) {
    absl::StatusOr<CommandLine> parsed = Parse({"get", help});
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(parsed->help) << help;
  }
}

TEST_F(CommandLineTest, MistakesAreErrorsNotExits) {
  EXPECT_EQ(ErrorOf({"--nope"}), "unknown flag --nope");
  EXPECT_EQ(ErrorOf({"--notest_name"}), "unknown flag --notest_name");
  EXPECT_EQ(ErrorOf({"--notest_switch=1"}), "unknown flag --notest_switch");
  EXPECT_EQ(ErrorOf({"--tokn=s3cret"}), "unknown flag --tokn");
  EXPECT_EQ(ErrorOf({"get", "--test_name"}), "--test_name needs a value");
  EXPECT_EQ(ErrorOf({"--test_wait=soon"}),
            "--test_wait=soon: Illegal value 'soon' specified for flag 'test_wait'");
  EXPECT_EQ(ErrorOf({"--test_switch=maybe"}),
            "--test_switch=maybe: Illegal value 'maybe' specified for flag 'test_switch'");
}

TEST_F(CommandLineTest, OnlyTheProgramsOwnFlagsAreReachable) {
  std::vector<const char*> argv = {"ledger", "--test_switch"};
  absl::StatusOr<CommandLine> parsed = ParseCommandLine(2, argv.data(), {"some/other/main.cc"});
  EXPECT_EQ(parsed.status().message(), "unknown flag --test_switch");
}

TEST_F(CommandLineTest, FlagsOfEveryNamedFileAreReachable) {
  // A program names its own file and the shared ones (connection_flags.h).
  std::vector<const char*> argv = {"ledger", "--test_switch"};
  absl::StatusOr<CommandLine> parsed =
      ParseCommandLine(2, argv.data(), {"some/other/main.cc", kThisFile});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(absl::GetFlag(FLAGS_test_switch));
  EXPECT_EQ(FlagsHelp({"some/other/main.cc", kThisFile}), FlagsHelp({kThisFile}));
}

TEST_F(CommandLineTest, HelpListsEachFlagWithItsDefault) {
  EXPECT_EQ(FlagsHelp({kThisFile}),
            "  --test_name\n"
            "      A string flag of this test.\n"
            "  --test_switch (default: false)\n"
            "      A boolean flag of this test.\n"
            "  --test_wait (default: 1s)\n"
            "      A duration flag of this test.\n");
}

}  // namespace
}  // namespace ledger
