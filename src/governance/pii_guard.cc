#include "governance/pii_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "governance/normalised_text.h"
#include "governance/number_runs.h"
#include "governance/pii_filter.h"

namespace daulat::governance {
namespace {

using internal::Candidate;
using internal::IsAlnum;
using internal::IsAlpha;
using internal::IsDigit;
using internal::NumberRuns;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Context words within 60 bytes before the candidate (Malay and English).
bool HasContext(std::string_view text, size_t start,
                std::initializer_list<std::string_view> words) {
  const size_t from = start > 60 ? start - 60 : 0;
  const std::string window = Lower(text.substr(from, start - from));
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view w) { return window.find(w) != std::string::npos; });
}

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

void Add(std::vector<PiiFinding>& out, PiiType type, size_t b, size_t e, double score,
         std::string why, std::string_view text) {
  PiiFinding f;
  f.type = type;
  f.byte_start = b;
  f.byte_end = e;
  f.score = std::min(score, 1.0);
  f.explanation = std::move(why);
  f.text = std::string(text.substr(b, e - b));
  out.push_back(std::move(f));
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
  // A whole run of 12 in even groups ("9001 0114 5678", "900101 145678",
  // "90 01 01 14 56 78"): the date and the place of birth decide.
  // Cut from a longer run, only where what was dropped is no part of the
  // pattern ("7 9001 0114 5678", not "1234 5678 9012 3456").
  const bool regrouped =
      c.groups.size() > 1 && c.groups.front() >= 2 &&
      std::all_of(c.groups.begin(), c.groups.end(), [&](size_t g) { return g == c.groups[0]; }) &&
      (!c.partial || c.dropped != c.groups[0]) && (!c.Glued() || IdentityLabel(c.label));
  if (!grouped && !c.Shape({12}) && !c.Spaced() && !regrouped) return;
  // Letters glued on: the usual grouping, or a label naming an identity card.
  if (c.Glued() && !grouped && !IdentityLabel(c.label)) return;
  if (!ValidDate(Num(d, 0, 2), Num(d, 2, 2), Num(d, 4, 2)) || !ValidBirthPlace(Num(d, 6, 2)))
    return;
  double score = grouped ? (c.only_dashes ? 0.85 : 0.8) : c.Spaced() ? 0.75 : regrouped ? 0.7 : 0.6;
  std::string why = std::string("12 digits") + (grouped ? " as YYMMDD-PB-###G" : "") +
                    ", a real birth date and a valid place-of-birth code " + d.substr(6, 2);
  if (HasContext(text, c.begin,
                 {"mykad", "ic", "nric", "kad pengenalan", "no. kp", "no kp", "k/p", "identity"})) {
    score += 0.15;
    why += ", identity-card context";
  }
  Add(out, PiiType::kMyKad, c.begin, c.end, score, why, text);
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
  Add(out, PiiType::kPaymentCard, c.begin, c.end, score, why, text);
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
  Add(out, PiiType::kPhone, c.begin, c.end, score, why, text);
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
  Add(out, PiiType::kCompanyNumber, c.begin, c.end, score, why, text);
}

void BankAccount(std::string_view text, const Candidate& c, std::vector<PiiFinding>& out) {
  if (c.digits.size() < 8 || c.digits.size() > 17 || !c.Plain() || c.Glued() || c.partial) return;
  if (!HasContext(text, c.begin,
                  {"akaun", "account", "a/c", "acc no", "bank", "maybank", "cimb", "ibg"}))
    return;
  Add(out, PiiType::kBankAccount, c.begin, c.end, 0.6, "8-17 digits after bank-account context",
      text);
}

// Old-style SSM numbers: 6-7 digits, '-', one capital letter ("123456-A").
void OldCompanyNumbers(std::string_view text, std::vector<PiiFinding>& out) {
  for (size_t i = 0; i + 8 <= text.size(); ++i) {
    if (!IsDigit(text[i]) || (i > 0 && IsAlnum(text[i - 1]))) continue;
    size_t j = i;
    while (j < text.size() && IsDigit(text[j])) ++j;
    const size_t n = j - i;
    if ((n == 6 || n == 7) && j + 1 < text.size() && text[j] == '-' && text[j + 1] >= 'A' &&
        text[j + 1] <= 'Z' && (j + 2 == text.size() || !IsAlnum(text[j + 2]))) {
      const bool ctx = HasContext(
          text, i, {"ssm", "syarikat", "company", "pendaftaran", "sdn bhd", "registration"});
      Add(out, PiiType::kCompanyNumber, i, j + 2, ctx ? 0.85 : 0.55,
          std::string("old-style SSM number (digits-letter)") + (ctx ? ", company context" : ""),
          text);
    }
    i = j;
  }
}

void Passports(std::string_view text, std::vector<PiiFinding>& out) {
  for (size_t i = 0; i + 7 <= text.size(); ++i) {
    if (!IsAlpha(text[i]) || (i > 0 && IsAlnum(text[i - 1]))) continue;
    size_t j = i;
    while (j < text.size() && j - i < 2 && IsAlpha(text[j]) &&
           std::isupper(static_cast<unsigned char>(text[j])))
      ++j;
    if (j == i) continue;
    const size_t letters_end = j;
    while (j < text.size() && IsDigit(text[j])) ++j;
    const size_t digits = j - letters_end;
    if (digits < 6 || digits > 9 || (j < text.size() && IsAlnum(text[j]))) continue;
    if (!HasContext(text, i, {"passport", "pasport", "paspot", "no. pasport"})) continue;
    Add(out, PiiType::kPassport, i, j, 0.8,
        "letters and digits shaped like a passport number, passport context", text);
  }
}

void Emails(std::string_view text, std::vector<PiiFinding>& out) {
  const auto local = [](char c) {
    return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
  };
  for (size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    size_t b = at;
    while (b > 0 && local(text[b - 1])) --b;
    size_t e = at + 1;
    while (e < text.size() && (IsAlnum(text[e]) || text[e] == '-' || text[e] == '.')) ++e;
    while (e > at + 1 && text[e - 1] == '.') --e;  // a sentence's full stop is not the domain's
    const size_t last_dot = text.substr(0, e).rfind('.');
    // Needs a local part, a dot after the '@', and a top-level domain of 2+ letters.
    if (b == at || last_dot == std::string_view::npos || last_dot <= at + 1 || e - last_dot - 1 < 2)
      continue;
    Add(out, PiiType::kEmail, b, e, 0.9, "local-part@domain.tld", text);
  }
}

void IpAddresses(std::string_view text, std::vector<PiiFinding>& out) {
  const auto ipchar = [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == '.' || c == ':';
  };
  size_t i = 0;
  while (i < text.size()) {
    if (!ipchar(text[i]) ||
        (i > 0 && (IsAlnum(text[i - 1]) || text[i - 1] == ':' || text[i - 1] == '.'))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && ipchar(text[j])) ++j;
    size_t e = j;
    while (e > i && text[e - 1] == '.') --e;
    const std::string cand(text.substr(i, e - i));
    unsigned char buf[16];
    const bool v4 = std::count(cand.begin(), cand.end(), '.') == 3 &&
                    inet_pton(AF_INET, cand.c_str(), buf) == 1;
    const bool v6 = std::count(cand.begin(), cand.end(), ':') >= 2 &&
                    inet_pton(AF_INET6, cand.c_str(), buf) == 1;
    if ((v4 || v6) && (j >= text.size() || !IsAlpha(text[j]))) {
      const bool ctx = HasContext(text, i, {"ip", "alamat", "address", "server", "host"});
      Add(out, PiiType::kIpAddress, i, e, ctx ? 0.8 : 0.6,
          std::string(v4 ? "IPv4" : "IPv6") + " address" + (ctx ? ", network context" : ""), text);
    }
    i = j;
  }
}

size_t CodePoints(std::string_view text, size_t byte_end) {
  size_t n = 0;
  for (size_t i = 0; i < byte_end && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace

std::string_view PiiTypeName(PiiType type) {
  switch (type) {
    case PiiType::kMyKad: return "MYKAD";
    case PiiType::kPhone: return "PHONE";
    case PiiType::kEmail: return "EMAIL";
    case PiiType::kPassport: return "PASSPORT";
    case PiiType::kCompanyNumber: return "SSM_COMPANY";
    case PiiType::kBankAccount: return "BANK_ACCOUNT";
    case PiiType::kPaymentCard: return "PAYMENT_CARD";
    case PiiType::kIpAddress: return "IP_ADDRESS";
  }
  return "PII";
}

std::vector<PiiFinding> PiiGuard::Scan(std::string_view original) const {
  const NormalisedText view = NormaliseForScan(original);
  const std::string_view text = view.text;
  std::vector<PiiFinding> all;
  for (const auto& c : NumberRuns(text)) {
    MyKad(text, c, all);
    PaymentCard(text, c, all);
    Phone(text, c, all);
    CompanyNumber(text, c, all);
    BankAccount(text, c, all);
  }
  OldCompanyNumbers(text, all);
  Passports(text, all);
  Emails(text, all);
  IpAddresses(text, all);
  // Highest score first, then keep what does not overlap an earlier pick.
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.score > b.score; });
  std::vector<PiiFinding> kept;
  for (auto& f : all) {
    if (f.score < min_score_) continue;
    const bool overlaps = std::any_of(kept.begin(), kept.end(), [&](const auto& k) {
      return f.byte_start < k.byte_end && k.byte_start < f.byte_end;
    });
    if (!overlaps) kept.push_back(std::move(f));
  }
  std::sort(kept.begin(), kept.end(),
            [](const auto& a, const auto& b) { return a.byte_start < b.byte_start; });
  // Back from the view to the original text: the span masked is what was
  // written. One original character can become two in the view ("½" is
  // "1⁄2"), so two findings may now share it: they are joined into one.
  std::vector<PiiFinding> out;
  for (auto& f : kept) {
    f.byte_start = view.OriginalBegin(f.byte_start);
    f.byte_end = view.OriginalEnd(f.byte_end);
    if (!out.empty() && f.byte_start < out.back().byte_end) {
      out.back().byte_end = std::max(out.back().byte_end, f.byte_end);
      continue;
    }
    out.push_back(std::move(f));
  }
  for (auto& f : out) {
    f.text = std::string(original.substr(f.byte_start, f.byte_end - f.byte_start));
    f.start = CodePoints(original, f.byte_start);
    f.end = CodePoints(original, f.byte_end);
  }
  return out;
}

MaskedText PiiGuard::Mask(std::string_view text) const {
  MaskedText out;
  PiiMasker masker([this](std::string_view t) { return Scan(t); });
  out.text = masker.Mask(text, &out.findings);
  out.originals = masker.originals();
  return out;
}

std::string Unmask(std::string_view text, const std::map<std::string, std::string>& originals) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t lt = text.find('<', pos);
    if (lt == std::string_view::npos) break;
    const size_t gt = text.find('>', lt);
    if (gt == std::string_view::npos) break;
    const auto it = originals.find(std::string(text.substr(lt, gt - lt + 1)));
    out.append(text.substr(pos, lt - pos));
    if (it != originals.end()) {
      out += it->second;
      pos = gt + 1;
    } else {
      out.push_back('<');
      pos = lt + 1;
    }
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace daulat::governance
