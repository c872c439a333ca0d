#include "common/json_depth.h"

#include <gtest/gtest.h>

#include <string>

namespace daulat {
namespace {

TEST(JsonDepthTest, CountsBracketsOutsideStringsOnly) {
  EXPECT_FALSE(JsonNestedDeeperThan(R"({"a": [1, {"b": []}]})", 4));
  EXPECT_TRUE(JsonNestedDeeperThan(R"({"a": [1, {"b": [[]]}]})", 4));
  // Brackets inside strings, escaped quotes included, do not count.
  EXPECT_FALSE(JsonNestedDeeperThan(R"({"a": "[[[[\"[[[[{{{{"})", 1));
  EXPECT_FALSE(JsonNestedDeeperThan("", 0));
  const std::string deep = std::string(60'000, '[') + std::string(60'000, ']');
  EXPECT_TRUE(JsonNestedDeeperThan(deep));
  EXPECT_FALSE(JsonNestedDeeperThan(std::string(64, '{') + std::string(64, '}')));
  EXPECT_TRUE(JsonNestedDeeperThan(std::string(65, '{')));
}

}  // namespace
}  // namespace daulat
