// Generated request ids: random UUIDs, version 4.
#include "client/cli/request_id.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace ledger::cli {
namespace {

TEST(RequestId, IsALowercaseUuidVersion4) {
  const std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewRequestId();
    EXPECT_TRUE(std::regex_match(id, uuid4)) << id;
  }
}

TEST(RequestId, NeverRepeats) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(NewRequestId());
  EXPECT_EQ(ids.size(), 10000u);
}

}  // namespace
}  // namespace ledger::cli
