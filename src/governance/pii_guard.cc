#include "governance/pii_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "governance/normalised_text.h"
#include "governance/number_runs.h"
#include "governance/pii_filter.h"
#include "governance/pii_recognisers.h"

namespace daulat::governance {
namespace internal {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool HasContext(std::string_view text, size_t start,
                std::initializer_list<std::string_view> words) {
  const size_t from = start > 60 ? start - 60 : 0;
  const std::string window = Lower(text.substr(from, start - from));
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view w) { return window.find(w) != std::string::npos; });
}

void AddFinding(std::vector<PiiFinding>& out, PiiType type, size_t b, size_t e, double score,
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

}  // namespace internal

namespace {

using internal::AddFinding;
using internal::HasContext;
using internal::IsAlnum;
using internal::IsAlpha;
using internal::IsDigit;

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
      AddFinding(
          out, PiiType::kCompanyNumber, i, j + 2, ctx ? 0.85 : 0.55,
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
    AddFinding(out, PiiType::kPassport, i, j, 0.8,
               "letters and digits shaped like a passport number, passport context", text);
  }
}

void Emails(std::string_view text, std::vector<PiiFinding>& out) {
  const auto local = [](char c) {
    return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
  };
  // At most 64 bytes before the '@' and 253 after, as RFC 5321 allows: the
  // streamed answer's guard holds back that much (pii_filter.cc), so a
  // longer match would be found in the whole text but not in the stream.
  constexpr size_t kMaxLocal = 64;
  constexpr size_t kMaxDomain = 253;
  for (size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    size_t b = at;
    while (b > 0 && at - b < kMaxLocal && local(text[b - 1])) --b;
    size_t e = at + 1;
    while (e < text.size() && e - at - 1 < kMaxDomain &&
           (IsAlnum(text[e]) || text[e] == '-' || text[e] == '.'))
      ++e;
    while (e > at + 1 && text[e - 1] == '.') --e;  // a sentence's full stop is not the domain's
    const size_t last_dot = text.substr(0, e).rfind('.');
    // Needs a local part, a dot after the '@', and a top-level domain of 2+ letters.
    if (b == at || last_dot == std::string_view::npos || last_dot <= at + 1 || e - last_dot - 1 < 2)
      continue;
    AddFinding(out, PiiType::kEmail, b, e, 0.9, "local-part@domain.tld", text);
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
      AddFinding(out, PiiType::kIpAddress, i, e, ctx ? 0.8 : 0.6,
                 std::string(v4 ? "IPv4" : "IPv6") + " address" + (ctx ? ", network context" : ""),
                 text);
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
  internal::FindNumericIdentifiers(text, all);
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
