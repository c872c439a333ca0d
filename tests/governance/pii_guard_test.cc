#include "governance/pii_guard.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace daulat::governance {
namespace {

std::vector<std::pair<PiiType, std::string>> Found(const std::string& text) {
  std::vector<std::pair<PiiType, std::string>> out;
  for (const auto& f : PiiGuard().Scan(text)) out.emplace_back(f.type, f.text);
  return out;
}

bool Has(const std::string& text, PiiType type, const std::string& value) {
  for (const auto& [t, v] : Found(text)) {
    if (t == type && v == value) return true;
  }
  return false;
}

bool None(const std::string& text) {
  return Found(text).empty();
}

TEST(PiiGuardTest, MyKadNeedsARealDateAndPlaceOfBirth) {
  EXPECT_TRUE(Has("No. KP saya 900101-14-5678.", PiiType::kMyKad, "900101-14-5678"));
  EXPECT_FALSE(
      Has("IC: 850229-08-1234", PiiType::kMyKad, "850229-08-1234"));  // 1985 is not a leap year
  EXPECT_TRUE(Has("IC: 840229-08-1234", PiiType::kMyKad, "840229-08-1234"));
  EXPECT_TRUE(Has("kad pengenalan 900101145678", PiiType::kMyKad, "900101145678"));
  EXPECT_FALSE(Has("ref 901301-14-5678", PiiType::kMyKad, "901301-14-5678"));  // month 13
  EXPECT_FALSE(Has("ref 900132-14-5678", PiiType::kMyKad, "900132-14-5678"));  // day 32
  EXPECT_FALSE(Has("ref 900101-17-5678", PiiType::kMyKad, "900101-17-5678"));  // PB 17 unassigned
  EXPECT_FALSE(Has("ref 900101-00-5678", PiiType::kMyKad, "900101-00-5678"));
  EXPECT_FALSE(Has("ref 900101-14-56789", PiiType::kMyKad, "900101-14-56789"));
}

TEST(PiiGuardTest, MalaysianPhones) {
  EXPECT_TRUE(Has("Hubungi 012-345 6789 sekarang", PiiType::kPhone, "012-345 6789"));
  EXPECT_TRUE(Has("call +60 12-345 6789", PiiType::kPhone, "+60 12-345 6789"));
  EXPECT_TRUE(Has("Tel: 03-2161 2345", PiiType::kPhone, "03-2161 2345"));
  EXPECT_TRUE(Has("mobile 0112345678", PiiType::kPhone, "0112345678"));
  EXPECT_FALSE(Has("nombor 02-1234 5678", PiiType::kPhone, "02-1234 5678"));  // no 02 area code
  EXPECT_TRUE(None("Harga RM 1234"));
}

TEST(PiiGuardTest, EmailsAndIpAddresses) {
  EXPECT_TRUE(Has("Emel: siti.aminah@jpn.gov.my.", PiiType::kEmail, "siti.aminah@jpn.gov.my"));
  EXPECT_TRUE(None("user@localhost is not routable"));
  EXPECT_TRUE(None("@handle and a@b"));
  EXPECT_TRUE(Has("server at 10.1.20.254 is down", PiiType::kIpAddress, "10.1.20.254"));
  EXPECT_TRUE(Has("IP 2001:db8::1", PiiType::kIpAddress, "2001:db8::1"));
  EXPECT_FALSE(Has("version 1.2.3.456", PiiType::kIpAddress, "1.2.3.456"));  // octet > 255
  EXPECT_TRUE(None("Bab 3.1.2 menerangkan"));
}

TEST(PiiGuardTest, PaymentCardsPassTheLuhnCheck) {
  EXPECT_TRUE(Has("kad kredit 4111 1111 1111 1111", PiiType::kPaymentCard, "4111 1111 1111 1111"));
  EXPECT_TRUE(Has("card 5500-0000-0000-0004", PiiType::kPaymentCard, "5500-0000-0000-0004"));
  EXPECT_FALSE(
      Has("card 4111 1111 1111 1112", PiiType::kPaymentCard, "4111 1111 1111 1112"));  // Luhn fails
}

TEST(PiiGuardTest, CompanyNumbersOldAndNew) {
  EXPECT_TRUE(Has("No. syarikat 201901000005 (SSM)", PiiType::kCompanyNumber, "201901000005"));
  EXPECT_TRUE(Has("Syarikat ABC Sdn Bhd (123456-A)", PiiType::kCompanyNumber, "123456-A"));
  EXPECT_FALSE(Has("kod 201907000005", PiiType::kCompanyNumber, "201907000005"));  // entity type 07
}

TEST(PiiGuardTest, BankAccountsAndPassportsNeedContext) {
  EXPECT_TRUE(Has("Akaun Maybank: 1122334455667", PiiType::kBankAccount, "1122334455667"));
  EXPECT_TRUE(None("Rujukan fail 1122334455667"));
  EXPECT_TRUE(Has("No. pasport A12345678", PiiType::kPassport, "A12345678"));
  EXPECT_TRUE(None("Model A12345678 is in stock"));
}

TEST(PiiGuardTest, OffsetsAreCodePoints) {
  const std::string text = "吉隆坡 IC 900101-14-5678";  // three 3-byte characters first
  const auto f = PiiGuard().Scan(text);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].start, 7u);
  EXPECT_EQ(f[0].end, 21u);
  EXPECT_EQ(f[0].byte_start, 13u);
  EXPECT_FALSE(f[0].explanation.empty());
  EXPECT_GT(f[0].score, 0.9);  // format, validation and context
}

TEST(PiiGuardTest, MaskingIsTypedConsistentAndReversible) {
  const std::string text =
      "Pemohon 900101-14-5678 (emel ali@contoh.com.my) memohon semula; IC 900101-14-5678 disahkan "
      "oleh "
      "siti@contoh.com.my.";
  const auto m = PiiGuard().Mask(text);
  EXPECT_EQ(
      m.text,
      "Pemohon <MYKAD_1> (emel <EMAIL_1>) memohon semula; IC <MYKAD_1> disahkan oleh <EMAIL_2>.");
  EXPECT_EQ(m.originals.at("<MYKAD_1>"), "900101-14-5678");
  EXPECT_EQ(Unmask(m.text, m.originals), text);
  EXPECT_EQ(Unmask("Jawapan untuk <MYKAD_1> dan <UNKNOWN_9>", m.originals),
            "Jawapan untuk 900101-14-5678 dan <UNKNOWN_9>");
}

// Identifiers copied from Word or a PDF, or disguised on purpose, are found
// in a normalised view and masked as they were written.
TEST(PiiGuardTest, DisguisedIdentifiersAreFoundAsWritten) {
  const auto mykad = [](const std::string& value) {
    return Has("No. KP " + value + " disahkan.", PiiType::kMyKad, value);
  };
  EXPECT_TRUE(mykad("900101\u201114\u20115678"));  // non-breaking hyphens
  EXPECT_TRUE(mykad("900101\u201314\u20135678"));  // en dashes
  EXPECT_TRUE(mykad("900101\u221214\u22125678"));  // minus signs
  EXPECT_TRUE(mykad("900101\u00a014\u00a05678"));  // no-break spaces
  EXPECT_TRUE(mykad("900101 14 5678"));
  EXPECT_TRUE(
      mykad("\uff19\uff10\uff10\uff11\uff10\uff11\uff0d\uff11\uff14\uff0d"
            "\uff15\uff16\uff17\uff18"));  // full-width digits and hyphens
  EXPECT_TRUE(mykad("9\u200b0\u200b0\u200b1\u200b0\u200b1-14-5678"));  // zero-width spaces
  EXPECT_TRUE(mykad("900101\u00ad-14-56\u206078"));                    // soft hyphen, joiner
  EXPECT_TRUE(mykad("9 0 0 1 0 1 - 1 4 - 5 6 7 8"));                   // spaced digits
  EXPECT_TRUE(mykad("\u0669\u0660\u0660\u0661\u0660\u0661-14-5678"));  // Arabic-Indic digits

  const auto phone = [](const std::string& value) {
    return Has("Sila hubungi " + value + " esok.", PiiType::kPhone, value);
  };
  EXPECT_TRUE(phone("012.345.6789"));
  EXPECT_TRUE(phone("03.2161.2345"));
  EXPECT_TRUE(phone("(03) 2161 2345"));
  EXPECT_TRUE(phone("(012) 345-6789"));
  EXPECT_TRUE(phone("+60 (3) 2161 2345"));
  EXPECT_TRUE(phone("012\u2013345\u00a06789"));
  EXPECT_TRUE(phone("0 1 2 3 4 5 6 7 8 9"));

  EXPECT_TRUE(Has("kad kredit 4111\u00a01111\u00a01111\u00a01111", PiiType::kPaymentCard,
                  "4111\u00a01111\u00a01111\u00a01111"));
  EXPECT_TRUE(Has("card \uff14\uff11\uff11\uff11 1111 1111 1111", PiiType::kPaymentCard,
                  "\uff14\uff11\uff11\uff11 1111 1111 1111"));
  EXPECT_TRUE(Has("emel ali\uff20contoh.com.my", PiiType::kEmail, "ali\uff20contoh.com.my"));
  EXPECT_TRUE(Has("emel ali@con\u200btoh.com.my", PiiType::kEmail, "ali@con\u200btoh.com.my"));
}

// Shapes a second attacker review found: other groupings and separators,
// a label glued on, a neighbouring number run into it, marks and look-alike
// letters.
TEST(PiiGuardTest, RegroupedGluedAndLookalikeIdentifiersAreFound) {
  const auto mykad = [](const std::string& before, const std::string& value,
                        const std::string& after = " disahkan.") {
    return Has(before + value + after, PiiType::kMyKad, value);
  };
  EXPECT_TRUE(mykad("IC ", "900101.14.5678"));     // dotted
  EXPECT_TRUE(mykad("IC ", "9001 0114 5678"));     // 4-4-4
  EXPECT_TRUE(mykad("IC ", "900101 145678"));      // 6-6
  EXPECT_TRUE(mykad("IC ", "900101/14/5678"));     // slashes
  EXPECT_TRUE(mykad("IC ", "900101_14_5678"));     // underscores
  EXPECT_TRUE(mykad("IC\n", "900101\n14\n5678"));  // a line per group
  EXPECT_TRUE(mykad("No.", "900101-14-5678"));     // a label glued on
  EXPECT_TRUE(mykad("KP", "900101-14-5678"));
  EXPECT_TRUE(mykad("Pemohon ", "900101-14-5678", "KL hadir."));        // and after
  EXPECT_TRUE(mykad("Bilik 7 ", "900101-14-5678"));                     // a number before it
  EXPECT_TRUE(mykad("IC ", "900101-14-5678", " 2 salinan."));           // and after it
  EXPECT_TRUE(mykad("IC ", "9\u03010\u0301010\u03011-14-5678"));        // combining marks
  EXPECT_TRUE(mykad("IC ", "9\ufe0f\u20e30\ufe0f\u20e30101-14-5678"));  // keycaps
  EXPECT_TRUE(mykad("IC ", "9OO1O1-14-5678"));                          // letter O for zero
  EXPECT_TRUE(mykad("IC ", "90010l-l4-5678"));                          // letter l for one
  const auto phone = [](const std::string& before, const std::string& value) {
    return Has(before + value + " esok.", PiiType::kPhone, value);
  };
  EXPECT_TRUE(phone("Tel:", "O12-345 6789"));
  EXPECT_TRUE(phone("HP", "012-345 6789"));
  EXPECT_TRUE(phone("Bilik 12 ", "012-345 6789"));
  EXPECT_TRUE(Has("kad 4111-1111-1111-1111x", PiiType::kPaymentCard, "4111-1111-1111-1111"));
}

// Other numbers around an identifier (a table's row numbers, an address on
// the next line, a second phone after a slash) must not hide it.
TEST(PiiGuardTest, NumbersAroundAnIdentifierDoNotHideIt) {
  const auto mykads = [](const std::string& text, const std::vector<std::string>& values) {
    std::vector<std::string> found;
    for (const auto& [type, value] : Found(text))
      if (type == PiiType::kMyKad) found.push_back(value);
    return found == values;
  };
  EXPECT_TRUE(mykads("IC: 900101-14-5678\n12 Jalan Mawar", {"900101-14-5678"}));
  EXPECT_TRUE(mykads("Umur 34\n900101-14-5678", {"900101-14-5678"}));
  EXPECT_TRUE(
      mykads("1\n900101-14-5678\n2\n850715-10-5123\n", {"900101-14-5678", "850715-10-5123"}));
  EXPECT_TRUE(
      mykads("Senarai:\n900101-14-5678\n850715-10-5123", {"900101-14-5678", "850715-10-5123"}));
  EXPECT_TRUE(mykads("1. 900101-14-5678\n2. 850715-10-5123", {"900101-14-5678", "850715-10-5123"}));
  EXPECT_TRUE(mykads("IC 900101-14-5678 850715-10-5123", {"900101-14-5678", "850715-10-5123"}));
  EXPECT_TRUE(mykads("Lahir 01/01/1990 900101-14-5678", {"900101-14-5678"}));
  EXPECT_TRUE(
      mykads("IC 900101  14  5678 dan 900101\t14\t5678", {"900101  14  5678", "900101\t14\t5678"}));
  EXPECT_TRUE(Has("Tel: 03-2161 2345/012-345 6789", PiiType::kPhone, "03-2161 2345"));
  EXPECT_TRUE(Has("Tel: 03-2161 2345/012-345 6789", PiiType::kPhone, "012-345 6789"));
  EXPECT_TRUE(Has("Ali bin Abu 900101-14-5678 012-345 6789", PiiType::kPhone, "012-345 6789"));
  EXPECT_TRUE(Has("hubungi 012  345  6789", PiiType::kPhone, "012  345  6789"));
  // A dashed digit added at either end does not hide the card number's shape.
  EXPECT_TRUE(mykads("IC 900101-14-5678-0 disahkan", {"900101-14-5678"}));
  EXPECT_TRUE(mykads("IC 0-900101-14-5678 disahkan", {"900101-14-5678"}));
}

TEST(PiiGuardTest, DisguisesDoNotTurnOrdinaryNumbersIntoIdentifiers) {
  EXPECT_TRUE(None("Nilai 0.123456789 dibundarkan."));    // a decimal, not a dotted phone
  EXPECT_TRUE(None("Tarikh 01.02.2024 dan bab 3.1.2."));  // dates and section numbers
  EXPECT_TRUE(None("Ref 901301\u201314\u20135678 (month 13)"));
  EXPECT_TRUE(None("Harga RM\u00a01\u00a0234 sahaja."));
  EXPECT_TRUE(None("Versi 3.900101145678 dan ISBN 978-0-306-40615-7."));  // after a decimal point
  EXPECT_TRUE(None("Produk SKU900101 dan kod A1B2C3D4."));
  EXPECT_TRUE(None("Bilik 7 dan 12 orang pada 01/02/2024."));
  EXPECT_TRUE(None("Olio, lIlO dan Ol1 bukan nombor."));
  // Twelve digits in even groups are serial numbers and amounts too.
  EXPECT_TRUE(None("Nombor siri 8801 1245 6789 pada label."));
  EXPECT_TRUE(None("Kod projek 1201 0512 3456 diluluskan."));
  EXPECT_TRUE(None("Jumlah 120 512 011 234 unit."));
  EXPECT_TRUE(None("Gambar img_9001_0114_5678.jpg dilampirkan."));
  EXPECT_TRUE(None("Markah:\n90\n01\n01\n14\n56\n78"));
  EXPECT_TRUE(None("Invois 850229/08/1234 (1985 bukan tahun lompat)."));
  // A MyKad in brackets is the MyKad, not the bracket.
  EXPECT_TRUE(Has("Ali (900101-14-5678) hadir.", PiiType::kMyKad, "900101-14-5678"));
}

// "½" is "1⁄2" in the view: a phone can end on its "1" and a MyKad begin
// on its "2". The two are joined, and nothing of either is left unmasked.
TEST(PiiGuardTest, FindingsSharingOneCharacterAreMaskedTogether) {
  const auto m = PiiGuard().Mask("hubungi 012-345 678\u00bd00101-14-5678 segera");
  EXPECT_EQ(m.text.find("00101-14"), std::string::npos) << m.text;
  EXPECT_EQ(m.text.find("345"), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("segera"), std::string::npos);
  EXPECT_TRUE(Has("card 411 111 111 111 1111", PiiType::kPaymentCard, "411 111 111 111 1111"));
  EXPECT_TRUE(Has("card 41111111 11111111", PiiType::kPaymentCard, "41111111 11111111"));
}

TEST(PiiGuardTest, MaskingReplacesTheOriginalSpan) {
  const std::string text =
      "IC \uff19\uff10\uff10\uff11\uff10\uff11-14-5678\u200b, tel 03.2161.2345.";
  const auto m = PiiGuard().Mask(text);
  EXPECT_EQ(m.text, "IC <MYKAD_1>\u200b, tel <PHONE_1>.");
  EXPECT_EQ(Unmask(m.text, m.originals), text);
}

TEST(PiiGuardTest, CleanTextAndOddInputsFindNothing) {
  EXPECT_TRUE(None(""));
  EXPECT_TRUE(None("Apakah ibu negara Malaysia? Kuala Lumpur, sejak 1963."));
  EXPECT_TRUE(None(std::string(5000, '9') + "x"));
  EXPECT_TRUE(None(std::string("\xff\xfe\x00 binary \x80", 12)));
}

// Every labelled example (bench/pii/pii_examples.tsv) finds exactly what it lists.
TEST(PiiGuardTest, LabelledExamples) {
  std::ifstream in(std::string(DAULAT_SOURCE_DIR) + "/bench/pii/pii_examples.tsv");
  ASSERT_TRUE(in.good());
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    std::set<std::string> expected;
    if (line.substr(0, tab) != "-") {
      std::stringstream items(line.substr(0, tab));
      for (std::string item; std::getline(items, item, '|');) expected.insert(item);
    }
    std::set<std::string> found;
    for (const auto& f : PiiGuard().Scan(line.substr(tab + 1))) {
      found.insert(std::string(PiiTypeName(f.type)) + ":" + f.text);
    }
    EXPECT_EQ(found, expected) << line;
    ++checked;
  }
  EXPECT_GT(checked, 40);
}

}  // namespace
}  // namespace daulat::governance
