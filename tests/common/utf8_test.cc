#include "common/utf8.h"

#include <gtest/gtest.h>

namespace daulat {
namespace {

TEST(Utf8Test, StrictValidation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Kuala Lumpur 吉隆坡 கோலாலம்பூர் 🇲🇾"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("abc\xe4\xb8"));       // cut short
}

TEST(Utf8Test, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(ValidUtf8("laporan\xff\xfe.pdf"), "laporan\uFFFD\uFFFD.pdf");
  EXPECT_EQ(ValidUtf8("caf\xe9"), "caf\uFFFD");  // Latin-1 é
  EXPECT_EQ(ValidUtf8("吉隆坡"), "吉隆坡");
  EXPECT_TRUE(IsValidUtf8(ValidUtf8("\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80 ok")));
}

}  // namespace
}  // namespace daulat
