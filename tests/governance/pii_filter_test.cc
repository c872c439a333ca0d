#include "governance/pii_filter.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace daulat::governance {
namespace {

PiiScanFn RealScan() {
  static const PiiGuard guard;
  return [](std::string_view t) { return guard.Scan(t); };
}

// Feeds `text` to the guard in pieces of `n` bytes and returns everything released.
Result<std::string> Stream(OutputGuard& g, const std::string& text, size_t n) {
  std::string out;
  for (size_t i = 0; i < text.size(); i += n) {
    auto r = g.Push(text.substr(i, n));
    if (!r.ok()) return r.status();
    out += *r;
  }
  auto tail = g.Finish();
  if (!tail.ok()) return tail.status();
  return out + *tail;
}

TEST(PiiMaskerTest, OneNumberingAcrossTheTextsOfARequest) {
  PiiMasker m(RealScan());
  std::vector<PiiFinding> found;
  const auto a = m.Mask("Emel: ali@contoh.com.my", &found);
  const auto b = m.Mask("Sila hubungi ali@contoh.com.my atau siti@contoh.my", &found);
  EXPECT_EQ(a, "Emel: <EMAIL_1>");
  EXPECT_EQ(b, "Sila hubungi <EMAIL_1> atau <EMAIL_2>");
  EXPECT_EQ(found.size(), 3u);
  EXPECT_EQ(m.originals().at("<EMAIL_2>"), "siti@contoh.my");
}

TEST(GuardModelInputTest, EachPromptRuleDecidesWhatTheModelReads) {
  const std::string question = "Apakah status permohonan ali@contoh.com.my?";
  const std::vector<std::string_view> passages = {"Permohonan diluluskan.",
                                                  "Pemohon: ali@contoh.com.my, KP 900101-14-5678."};
  auto allow = GuardModelInput(RealScan(), PiiMode::kAllow, "soalan", passages);
  ASSERT_TRUE(allow.ok());
  EXPECT_EQ(allow->passages[1], passages[1]);
  EXPECT_EQ(allow->kept, (std::vector<size_t>{0, 1}));

  auto mask = GuardModelInput(RealScan(), PiiMode::kMask, question, passages);
  ASSERT_TRUE(mask.ok());
  EXPECT_EQ(mask->question, "Apakah status permohonan <EMAIL_1>?");
  EXPECT_EQ(mask->passages[1], "Pemohon: <EMAIL_1>, KP <MYKAD_1>.");  // one numbering
  EXPECT_EQ(mask->originals.at("<MYKAD_1>"), "900101-14-5678");
  EXPECT_EQ(mask->findings.size(), 3u);

  EXPECT_EQ(GuardModelInput(RealScan(), PiiMode::kBlock, question, passages).status().code(),
            StatusCode::kPermissionDenied);
  auto block = GuardModelInput(RealScan(), PiiMode::kBlock, "Apakah status permohonan?", passages);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(block->kept, std::vector<size_t>{0});  // the passage with personal data is withheld
  EXPECT_EQ(block->passages, std::vector<std::string>{"Permohonan diluluskan."});

  const PiiScanFn broken = [](std::string_view) -> std::vector<PiiFinding> {
    throw std::runtime_error("scanner down");
  };
  EXPECT_EQ(GuardModelInput(broken, PiiMode::kMask, "q", passages).status().code(),
            StatusCode::kInternal);
}

TEST(OutputGuardTest, IdentifiersSplitAcrossChunksAreStillMasked) {
  const std::string answer =
      "Nombor MyKad pemohon ialah 900101-14-5678 dan telefon 012-345 6789. Terima kasih.";
  for (size_t n : {1, 2, 3, 5, 7, 16, 1000}) {
    OutputGuard g(RealScan(), PiiMode::kMask, {});
    auto out = Stream(g, answer, n);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out,
              "Nombor MyKad pemohon ialah <MYKAD_REDACTED> dan telefon <PHONE_REDACTED>. Terima "
              "kasih.")
        << "chunk size " << n;
    EXPECT_EQ(g.counts().at("MYKAD"), 1);
    EXPECT_EQ(g.counts().at("PHONE"), 1);
  }
}

// Full-width digits, Unicode dashes and spaces, and invisible characters
// are held back like ASCII ones, so a disguised identifier split across
// chunks is still masked whole.
TEST(OutputGuardTest, DisguisedIdentifiersSplitAcrossChunksAreStillMasked) {
  const std::string answer =
      "MyKad \uff19\uff10\uff10\uff11\uff10\uff11\u2011\uff11\uff14\u2011\uff15\uff16\uff17\uff18 "
      "dan telefon (03)\u00a02161\u200b2345, kad 4111\u2009\u200b1111 1111 1111. Selesai.";
  for (size_t n : {1, 2, 3, 5, 7, 16, 1000}) {
    OutputGuard g(RealScan(), PiiMode::kMask, {});
    auto out = Stream(g, answer, n);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out,
              "MyKad <MYKAD_REDACTED> dan telefon <PHONE_REDACTED>, kad <PAYMENT_CARD_REDACTED>. "
              "Selesai.")
        << "chunk size " << n;
  }
}

// " - " between digit groups: the birth date must not leave before the rest.
TEST(OutputGuardTest, SpacedSeparatorsAreHeldBackToo) {
  const std::string answer = "IC 900101 - 14 - 5678. Selesai.";
  for (size_t n : {1, 2, 3}) {
    OutputGuard g(RealScan(), PiiMode::kMask, {});
    auto out = Stream(g, answer, n);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->find("900101"), std::string::npos) << n << ": " << *out;
  }
}

// The shapes a second review found, streamed a byte at a time: nothing of
// the identifier leaves before the whole of it is judged.
TEST(OutputGuardTest, RegroupedAndLookalikeIdentifiersSplitAcrossChunksAreStillMasked) {
  for (const std::string value :
       {"900101\n14\n5678", "900101_14_5678", "900101/14/5678", "9001 0114 5678", "9OO1O1-14-5678",
        "9\u0301001\u030101-14-5678", "KP900101-14-5678"}) {
    for (size_t n : {1, 2, 5}) {
      OutputGuard g(RealScan(), PiiMode::kMask, {});
      auto out = Stream(g, "IC " + value + " Bilik 7 900101-14-5678 siap.", n);
      ASSERT_TRUE(out.ok());
      EXPECT_EQ(out->find("9001"), std::string::npos) << value << " / " << n << ": " << *out;
      EXPECT_EQ(out->find("9OO1"), std::string::npos) << value << " / " << n << ": " << *out;
      EXPECT_NE(out->find("siap."), std::string::npos) << *out;
    }
  }
}

TEST(OutputGuardTest, BlockModeStopsBeforeTheIdentifierIsReleased) {
  const std::string answer = "Kad kredit anda 4111 1111 1111 1111 telah disahkan.";
  for (size_t n : {1, 4, 1000}) {
    OutputGuard g(RealScan(), PiiMode::kBlock, {});
    std::string released;
    Status st;
    for (size_t i = 0; i < answer.size() && st.ok(); i += n) {
      auto r = g.Push(answer.substr(i, n));
      if (r.ok()) {
        released += *r;
      } else {
        st = r.status();
      }
    }
    if (st.ok()) {
      auto tail = g.Finish();
      st = tail.status();
    }
    EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << n;
    EXPECT_EQ(released.find("4111"), std::string::npos) << released;
    // Once blocked, nothing more comes out.
    EXPECT_FALSE(g.Push(" more").ok());
  }
}

TEST(OutputGuardTest, RestoresTheCallersOwnValuesEvenWhenPlaceholdersAreSplit) {
  const std::map<std::string, std::string> originals = {{"<MYKAD_1>", "900101-14-5678"},
                                                        {"<EMAIL_1>", "ali@contoh.com.my"}};
  const std::string answer =
      "Rekod untuk <MYKAD_1> dikemas kini; salinan ke <EMAIL_1>. <TAG> kekal.";
  for (size_t n : {1, 3, 1000}) {
    OutputGuard g(RealScan(), PiiMode::kMask, originals);
    auto out = Stream(g, answer, n);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out,
              "Rekod untuk 900101-14-5678 dikemas kini; salinan ke ali@contoh.com.my. <TAG> kekal.")
        << n;
    EXPECT_TRUE(g.counts().empty());  // the caller's own values are not new findings
  }
}

TEST(OutputGuardTest, AllowWithNothingToRestorePassesThroughAtOnce) {
  OutputGuard g(RealScan(), PiiMode::kAllow, {});
  EXPECT_EQ(*g.Push("ali@contoh.com.my"), "ali@contoh.com.my");
  EXPECT_EQ(*g.Finish(), "");
}

// Found by fuzz/pii_stream_fuzzer.cc: whatever the stream's cuts, the guard
// masks what it masks in the whole answer, and no identifier's start leaks.
TEST(OutputGuardTest, EveryCutMasksWhatTheWholeAnswerMasks) {
  const std::string long_domain = "ali@" + std::string(150, 'g') + ".com.my";
  for (const std::string& text : std::vector<std::string>{
           "Telefon (0  621)312345 dan emel ali%jpn@contoh.com.my sekarang.",
           "Nombor O12-345 6789 ialah talian utama.", "Hubungi " + long_domain + " hari ini."}) {
    OutputGuard whole_guard(RealScan(), PiiMode::kMask, {});
    auto whole = Stream(whole_guard, text, text.size());
    ASSERT_TRUE(whole.ok());
    EXPECT_NE(whole->find("_REDACTED>"), std::string::npos) << *whole;
    for (const size_t n : {1, 2, 3, 5, 7, 16}) {
      OutputGuard g(RealScan(), PiiMode::kMask, {});
      EXPECT_EQ(Stream(g, text, n).value(), *whole) << n;
    }
  }
}

TEST(OutputGuardTest, AGuardThatFailsWithholdsTheAnswer) {
  OutputGuard g(
      [](std::string_view) -> std::vector<PiiFinding> { throw std::runtime_error("boom"); },
      PiiMode::kMask, {});
  auto first = g.Push(std::string(400, 'a'));  // past the longest hold-back: it must scan
  EXPECT_EQ(first.status().code(), StatusCode::kInternal);
  EXPECT_NE(first.status().message().find("boom"), std::string::npos);
  EXPECT_EQ(g.Finish().status().code(), StatusCode::kInternal);
}

TEST(OutputGuardTest, MultibyteTextIsNeverCutInsideACharacter) {
  OutputGuard g(RealScan(), PiiMode::kMask, {});
  const std::string answer = "马来西亚的首都是吉隆坡。தமிழ் உரை. " + std::string(100, 'x');
  auto out = Stream(g, answer, 1);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, answer);
}

}  // namespace
}  // namespace daulat::governance
