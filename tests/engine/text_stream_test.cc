#include "engine/text_stream.h"

#include <gtest/gtest.h>

namespace daulat::engine {
namespace {

std::string Feed(TextStream& s, const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += s.Push(p);
  return out + s.Finish();
}

TEST(TextStreamTest, PassesTextThroughWithoutStops) {
  TextStream s({});
  EXPECT_EQ(Feed(s, {"Kuala", " Lum", "pur"}), "Kuala Lumpur");
  EXPECT_FALSE(s.stopped());
}

TEST(TextStreamTest, CutsAtStopStringSpanningPieces) {
  TextStream s({"\nUser:"});
  std::string shown;
  shown += s.Push("Tokyo.");
  shown += s.Push("\nUs");
  EXPECT_EQ(shown, "Tokyo.");  // "\nUs" might start the stop string: held back
  shown += s.Push("er: next");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(shown, "Tokyo.");
  EXPECT_EQ(s.Push("more"), "");
  EXPECT_EQ(s.Finish(), "");
}

TEST(TextStreamTest, ReleasesHeldPrefixWhenItDoesNotComplete) {
  TextStream s({"STOP"});
  EXPECT_EQ(s.Push("ab ST"), "ab ");
  EXPECT_EQ(s.Push("ART"), "START");
  EXPECT_EQ(s.Push("x ST"), "x ");
  EXPECT_EQ(s.Finish(), "ST");  // at the end an unfinished prefix is just text
}

TEST(TextStreamTest, EarliestOfSeveralStopsWins) {
  TextStream s({"world", "lo"});
  EXPECT_EQ(Feed(s, {"hello world"}), "hel");
}

TEST(TextStreamTest, NeverSplitsUtf8Characters) {
  TextStream s({});
  const std::string ibu = "\xe4\xb8\xad\xe6\x96\x87";  // 中文
  EXPECT_EQ(s.Push(ibu.substr(0, 1)), "");
  EXPECT_EQ(s.Push(ibu.substr(1, 3)), "\xe4\xb8\xad");
  EXPECT_EQ(s.Push(ibu.substr(4)), "\xe6\x96\x87");
  const std::string tamil = "\xe0\xae\xa4";  // த
  EXPECT_EQ(s.Push(tamil.substr(0, 2)), "");
  EXPECT_EQ(s.Finish(), "");  // an incomplete character at the very end is dropped
}

TEST(TextStreamTest, CompleteUtf8Prefix) {
  EXPECT_EQ(CompleteUtf8Prefix(""), 0u);
  EXPECT_EQ(CompleteUtf8Prefix("abc"), 3u);
  EXPECT_EQ(CompleteUtf8Prefix("a\xc3"), 1u);
  EXPECT_EQ(CompleteUtf8Prefix("a\xc3\xa9"), 3u);
  EXPECT_EQ(CompleteUtf8Prefix("\xf0\x9f\x98"), 0u);
  EXPECT_EQ(CompleteUtf8Prefix("\xf0\x9f\x98\x80"), 4u);
}

}  // namespace
}  // namespace daulat::engine
