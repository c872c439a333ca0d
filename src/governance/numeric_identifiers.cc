#include <algorithm>
#include <array>

#include "governance/number_runs.h"
#include "governance/pii_recognisers.h"

// The identifiers people write as numbers, judged on the runs of digit
// groups read out of the normalised text: MyKad, payment cards, Malaysian
// phones, SSM company numbers, bank accounts.
namespace daulat::governance::internal {
namespace {

bool ValidDate(int yy, int mm, int dd) {
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mm < 1 || mm > 12 || dd < 1) return false;
  if (mm == 2 && dd == 29) return yy % 4 == 0;  // two-digit years: 00 is 2000, a leap year
  return dd <= kDays[static_cast<size_t>(mm - 1)];
}

// Place-of-birth codes issued by JPN: states 01-16 and 21-59, countries 60-99
// except the unassigned ones.
bool ValidBirthPlace(int pb) {
  if (pb >= 1 && pb <= 16) return true;
  if (pb >= 21 && pb <= 59) return true;
  if (pb >= 60 && pb <= 99) {
    for (int unused : {69, 70, 73, 80, 81, 94, 95, 96, 97}) {
      if (pb == unused) return false;
    }
    return true;
  }
  return false;
}

bool Luhn(const std::string& digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

int Num(const std::string& s, size_t pos, size_t len) {
  return std::stoi(s.substr(pos, len));
}

// Words that name an identity card within 60 bytes before `at`.
bool IdentityContext(std::string_view text, size_t at) {
  return HasContext(text, at,
                    {"mykad", "ic", "nric", "kad pengenalan", "no. kp", "no kp", "k/p", "identity",
                     "pengenalan"});
}

// Labels written right against a number that name what it is.
bool IdentityLabel(const std::string& label) {
  for (const char* l : {"kp", "ic", "no", "nric", "mykad", "mykid", "nokp", "noic"})
    if (label == l) return true;
  return false;
}
bool PhoneLabel(const std::string& label) {
  for (const char* l : {"tel", "hp", "no", "phone", "fon", "telefon", "mobile", "t", "m", "h"})
    if (label == l) return true;
  return false;
}

void MyKad(std::string_view text, const Candidate& c, std::vector<PiiFinding>& out) {
  if (c.digits.size() != 12 || c.plus || c.brackets) return;
  const std::string& d = c.digits;
  const bool grouped = c.Shape({6, 2, 4});
  // 12 digits in even groups ("9001 0114 5678", "900101 145678"), which is
  // also how serial numbers and amounts are written: only next to words
  // that name an identity card, and cut from a longer run only where what
  // was left out is no part of the pattern ("7 9001 ...", not "1234 5678
  // 9012 3456").
  const bool regrouped =
      c.groups.size() > 1 && c.groups.front() >= 2 &&
      std::all_of(c.groups.begin(), c.groups.end(), [&](size_t g) { return g == c.groups[0]; }) &&
      (!c.partial || c.dropped != c.groups[0]) &&
      (IdentityLabel(c.label) || (!c.Glued() && IdentityContext(text, c.begin)));
  if (!grouped && !c.Shape({12}) && !c.Spaced() && !regrouped) return;
  if (c.divided && !grouped && !regrouped) return;  // "900101/14/5678", not a column
  // Letters glued on: the usual grouping, or a label naming an identity card.
  if (c.Glued() && !grouped && !IdentityLabel(c.label)) return;
  if (!ValidDate(Num(d, 0, 2), Num(d, 2, 2), Num(d, 4, 2)) || !ValidBirthPlace(Num(d, 6, 2)))
    return;
  double score = grouped ? (c.only_dashes ? 0.85 : 0.8) : c.Spaced() ? 0.75 : regrouped ? 0.7 : 0.6;
  std::string why = std::string("12 digits") + (grouped ? " as YYMMDD-PB-###G" : "") +
                    ", a real birth date and a valid place-of-birth code " + d.substr(6, 2);
  if (IdentityContext(text, c.begin)) {
    score += 0.15;
    why += ", identity-card context";
  }
  AddFinding(out, PiiType::kMyKad, c.begin, c.end, score, why, text);
}

// Card numbers as printed: one block, blocks of four (the last may be
// shorter), American Express and Diners 4-6-5 / 4-6-4, or digit by digit.
bool CardShape(const Candidate& c) {
  if (c.groups.size() == 1 || c.Spaced() || c.Shape({4, 6, 5}) || c.Shape({4, 6, 4})) return true;
  // However a person groups it ("411 111 111 111 1111", "41111111 11111111"):
  // the Luhn check and the network prefix decide.
  if (std::all_of(c.groups.begin(), c.groups.end(), [](size_t g) { return g >= 3; })) return true;
  for (size_t g = 0; g < c.groups.size(); ++g) {
    const bool last = g + 1 == c.groups.size();
    if (last ? c.groups[g] > 4 : c.groups[g] != 4) return false;
  }
  return true;
}

void PaymentCard(std::string_view text, const Candidate& c, std::vector<PiiFinding>& out) {
  const std::string& d = c.digits;
  if (d.size() < 13 || d.size() > 19 || !c.Plain() || !CardShape(c) || !Luhn(d)) return;
  if (c.Glued() && c.groups.size() == 1) return;  // inside a code ("TXN4111...")
  if (c.divided) return;                          // never written across lines or '/'
  const int p2 = Num(d, 0, 2);
  const int p4 = Num(d, 0, 4);
  const bool known = d[0] == '4' || (p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720) ||
                     p2 == 34 || p2 == 37 || d[0] == '6';
  if (!known) return;
  double score = 0.8;
  std::string why =
      std::to_string(d.size()) + " digits, passes the Luhn check, card-network prefix";
  if (HasContext(text, c.begin, {"card", "kad kredit", "kad debit", "visa", "mastercard", "cc"})) {
    score += 0.15;
    why += ", card context";
  }
  AddFinding(out, PiiType::kPaymentCard, c.begin, c.end, score, why, text);
}

// "03.2161.2345", "012.345.6789", "+60.12.345.6789": an area code of 2+
// digits (1+ after +60) and groups of 3+, so a decimal ("0.123456789") is
// not taken for a phone number.
bool DottedPhoneShape(const Candidate& c) {
  const bool country = c.plus && c.groups.size() > 2 && c.groups.front() == 2;
  const auto area = c.groups.begin() + (country ? 1 : 0);
  return *area >= (country ? 1u : 2u) &&
         std::all_of(area + 1, c.groups.end(), [](size_t g) { return g >= 3; });
}

void Phone(std::string_view text, const Candidate& c, std::vector<PiiFinding>& out) {
  std::string d = c.digits;
  bool international = false;
  if (d.rfind("60", 0) == 0 && (c.plus || d.size() >= 11)) {
    d = "0" + d.substr(2);
    international = true;
  }
  if (d.size() < 9 || d.size() > 11 || d[0] != '0') return;
  const bool mobile = d[1] == '1' && d.size() >= 10;
  const bool landline = d[1] >= '3' && d[1] <= '9' && d.size() <= 10;
  if (!mobile && !landline) return;
  if (c.dots && !DottedPhoneShape(c) && !c.Spaced()) return;
  if (c.Glued() && c.groups.size() == 1 && !PhoneLabel(c.label)) return;
  if (c.divided) return;  // two numbers, not one: "03-2161 2345/012-345 6789"
  if (c.partial && c.groups.size() == 1) return;
  const bool formatted = c.groups.size() > 1;
  double score = (international || formatted) ? 0.7 : 0.5;
  std::string why = std::string("Malaysian ") + (mobile ? "mobile" : "landline") +
                    " number pattern" + (international ? " with +60" : "");
  if (HasContext(
          text, c.begin,
          {"tel", "phone", "hp", "h/p", "hubungi", "call", "mobile", "whatsapp", "nombor"})) {
    score += 0.2;
    why += ", phone context";
  }
  AddFinding(out, PiiType::kPhone, c.begin, c.end, score, why, text);
}

void CompanyNumber(std::string_view text, const Candidate& c, std::vector<PiiFinding>& out) {
  const std::string& d = c.digits;
  if (!c.Shape({12}) || c.Glued()) return;
  const int year = Num(d, 0, 4);
  const int kind = Num(d, 4, 2);
  if (year < 1900 || year > 2100 || kind < 1 || kind > 6) return;
  double score = 0.5;
  std::string why = "12-digit SSM registration number (year " + d.substr(0, 4) + ", entity type " +
                    d.substr(4, 2) + ")";
  if (HasContext(text, c.begin,
                 {"ssm", "syarikat", "company", "registration", "pendaftaran", "sdn bhd",
                  "no. syarikat"})) {
    score += 0.35;
    why += ", company context";
  }
  AddFinding(out, PiiType::kCompanyNumber, c.begin, c.end, score, why, text);
}

void BankAccount(std::string_view text, const Candidate& c, std::vector<PiiFinding>& out) {
  if (c.digits.size() < 8 || c.digits.size() > 17 || !c.Plain() || c.Glued() || c.partial) return;
  if (!HasContext(text, c.begin,
                  {"akaun", "account", "a/c", "acc no", "bank", "maybank", "cimb", "ibg"}))
    return;
  AddFinding(out, PiiType::kBankAccount, c.begin, c.end, 0.6,
             "8-17 digits after bank-account context", text);
}

// Old-style SSM numbers: 6-7 digits, '-', one capital letter ("123456-A").

}  // namespace

void FindNumericIdentifiers(std::string_view text, std::vector<PiiFinding>& out) {
  for (const auto& c : NumberRuns(text)) {
    MyKad(text, c, out);
    PaymentCard(text, c, out);
    Phone(text, c, out);
    CompanyNumber(text, c, out);
    BankAccount(text, c, out);
  }
}

}  // namespace daulat::governance::internal
