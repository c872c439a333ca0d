#include "governance/pii_filter.h"

#include <algorithm>
#include <exception>
#include <string_view>

#include "governance/normalised_text.h"

namespace daulat::governance {
namespace {

// Context kept from released text, for context words ("passport", "akaun").
constexpr size_t kContext = 64;
// Longest tail held back while it could still grow into an identifier: the
// longest e-mail address the recogniser takes (64 + 1 + 253 bytes).
constexpr size_t kMaxHoldBack = 320;

// Bytes that can be inside an identifier: letters, digits, separators of
// numbers, and everything an e-mail address's local part may hold (RFC 5322
// atext: "ali%jpn@..." is one address, and releasing "ali%" early would leak it).
bool IsIdentifierByte(char c) {
  static constexpr std::string_view kSymbols = "@._+-()/:!#$%&'*=?^`{|}~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         kSymbols.find(c) != std::string_view::npos;
}

bool IsDigitByte(char c) {
  return c >= '0' && c <= '9';
}

// How many trailing bytes could still be the start of an identifier: the
// last run of identifier characters, with single spaces or line breaks
// between digit groups ("012-345 6789", "(03) 2161", a group per line).
// Everything before it can be judged now.
size_t TrailingRun(const std::string& s) {
  // Up to this many spaces or line breaks inside a number's separators:
  // "012 345", "(03) 2161", "900101 - 14", "(0  3) 2161": the recognisers
  // take a few, and a run the guard released early would leak its start.
  constexpr size_t kMaxGap = 3;
  // A digit, a separator of digit groups, or a letter the recognisers read
  // as a digit ("O12-345 6789": see FoldDigitLookalikes).
  const auto joins = [](char x) {
    return IsDigitByte(x) || std::string_view("()-./_+OoIl").find(x) != std::string_view::npos;
  };
  const auto space = [](char x) { return x == ' ' || x == '\t' || x == '\n' || x == '\r'; };
  size_t i = s.size();
  while (i > 0) {
    if (IsIdentifierByte(s[i - 1])) {
      --i;
      continue;
    }
    size_t gap = i;
    while (gap > 0 && i - gap < kMaxGap && space(s[gap - 1])) --gap;
    const bool between_groups =
        gap < i && gap > 0 && joins(s[gap - 1]) && (i == s.size() || joins(s[i]));
    if (!between_groups) break;
    i = gap;
  }
  return std::min(s.size() - i, kMaxHoldBack);
}

// Where a multibyte character cut off by the end of a chunk begins (the
// text's size when the last character is whole).
size_t WholeCharactersEnd(const std::string& s) {
  size_t lead = s.size();
  while (lead > 0 && s.size() - lead < 4 &&
         (static_cast<unsigned char>(s[lead - 1]) & 0xC0) == 0x80)
    --lead;
  if (lead == 0) return s.size();
  const auto b = static_cast<unsigned char>(s[lead - 1]);
  const size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
  return s.size() - (lead - 1) < need ? lead - 1 : s.size();
}

// The first byte of `pending` that must wait for more text. The run is
// judged on the normalised view the recognisers read, so full-width digits,
// Unicode dashes and spaces and invisible characters wait like ASCII ones.
size_t HoldBackFrom(const std::string& pending) {
  const size_t whole = WholeCharactersEnd(pending);
  const NormalisedText view = NormaliseForScan(std::string_view(pending).substr(0, whole));
  const size_t run = TrailingRun(view.text);
  return run == 0 ? whole : view.OriginalBegin(view.text.size() - run);
}

// Moves `pos` back to the start of a UTF-8 sequence.
size_t Utf8Boundary(const std::string& s, size_t pos) {
  while (pos > 0 && pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80) --pos;
  return pos;
}

}  // namespace

std::string PiiMasker::Mask(std::string_view text, std::vector<PiiFinding>* found) {
  const auto findings = scan_(text);
  std::string out;
  size_t pos = 0;
  for (const auto& f : findings) {
    if (f.byte_start < pos) continue;  // overlaps the one before (a scanner should not)
    out.append(text.substr(pos, f.byte_start - pos));
    const std::string type(PiiTypeName(f.type));
    const std::string key = type + '\0' + f.text;
    auto it = by_value_.find(key);
    if (it == by_value_.end()) {
      const std::string placeholder = "<" + type + "_" + std::to_string(++counters_[type]) + ">";
      it = by_value_.emplace(key, placeholder).first;
      originals_[placeholder] = f.text;
    }
    out += it->second;
    pos = f.byte_end;
  }
  out.append(text.substr(pos));
  if (found != nullptr) found->insert(found->end(), findings.begin(), findings.end());
  return out;
}

OutputGuard::OutputGuard(PiiScanFn scan, PiiMode mode, std::map<std::string, std::string> originals)
    : scan_(std::move(scan)),
      mode_(mode),
      originals_(std::move(originals)),
      passthrough_(mode == PiiMode::kAllow && originals_.empty()) {}

Result<std::string> OutputGuard::Push(std::string_view delta) {
  if (failed_) return Internal("the output guard failed earlier; nothing more is released");
  if (passthrough_) return std::string(delta);
  pending_.append(delta);
  return Release(false);
}

Result<std::string> OutputGuard::Finish() {
  if (failed_) return Internal("the output guard failed earlier; nothing more is released");
  if (passthrough_) return std::string();
  return Release(true);
}

Result<std::string> OutputGuard::Release(bool final) {
  size_t cut = final ? pending_.size() : HoldBackFrom(pending_);
  if (cut == 0 && !final) return std::string();
  std::vector<PiiFinding> findings;
  const std::string window = context_ + pending_;
  try {
    findings = scan_(window);
  } catch (const std::exception& e) {
    failed_ = true;
    return Internal(std::string("the PII guard failed (") + e.what() + "); the answer is withheld");
  } catch (...) {
    failed_ = true;
    return Internal("the PII guard failed; the answer is withheld");
  }
  const size_t base = context_.size();
  // Findings wholly in text already released were dealt with then. One that
  // crosses the cut waits for the rest of its text.
  std::vector<PiiFinding> mine;
  for (const auto& f : findings) {
    if (f.byte_end <= base) continue;
    const size_t start = f.byte_start > base ? f.byte_start - base : 0;
    const size_t end = f.byte_end - base;
    if (start < cut && end > cut) cut = start;
    if (end <= cut) {
      PiiFinding g = f;
      g.byte_start = start;
      g.byte_end = end;
      mine.push_back(std::move(g));
    }
  }
  if (!final && !originals_.empty()) {
    // Do not split a placeholder of the caller's values: "<MYK" | "AD_1>".
    const size_t lt = pending_.rfind('<', cut == 0 ? 0 : cut - 1);
    if (lt != std::string::npos && cut - lt < 32 && pending_.find('>', lt) >= cut) cut = lt;
  }
  cut = Utf8Boundary(pending_, cut);
  mine.erase(std::remove_if(mine.begin(), mine.end(),
                            [cut](const PiiFinding& f) { return f.byte_end > cut; }),
             mine.end());
  for (const auto& f : mine) ++counts_[std::string(PiiTypeName(f.type))];
  if (!mine.empty() && mode_ == PiiMode::kBlock) {
    failed_ = true;
    return PermissionDenied("the answer contained personal data (" +
                            std::string(PiiTypeName(mine.front().type)) +
                            ") and the policy blocks personal data in answers at this level");
  }
  std::string raw = pending_.substr(0, cut);
  std::string released;
  size_t pos = 0;
  for (const auto& f : mine) {
    if (mode_ != PiiMode::kMask) break;
    if (f.byte_start < pos) continue;
    released.append(raw, pos, f.byte_start - pos);
    released += "<" + std::string(PiiTypeName(f.type)) + "_REDACTED>";
    pos = f.byte_end;
  }
  released.append(raw, pos);
  pending_.erase(0, cut);
  context_ += raw;
  if (context_.size() > kContext)
    context_.erase(0, Utf8Boundary(context_, context_.size() - kContext));
  return originals_.empty() ? released : Unmask(released, originals_);
}

Result<GuardedModelInput> GuardModelInput(const PiiScanFn& scan, PiiMode mode,
                                          std::string_view question,
                                          const std::vector<std::string_view>& passages) {
  GuardedModelInput out;
  if (!scan || mode == PiiMode::kAllow) {
    out.question = std::string(question);
    for (size_t i = 0; i < passages.size(); ++i) {
      out.passages.emplace_back(passages[i]);
      out.kept.push_back(i);
    }
    return out;
  }
  try {
    PiiMasker masker(scan);
    std::string masked = masker.Mask(question, &out.findings);
    if (!out.findings.empty() && mode == PiiMode::kBlock)
      return PermissionDenied("the question contains personal data and the policy blocks it");
    out.question = mode == PiiMode::kMask ? std::move(masked) : std::string(question);
    for (size_t i = 0; i < passages.size(); ++i) {
      const size_t before = out.findings.size();
      std::string text = masker.Mask(passages[i], &out.findings);
      if (mode == PiiMode::kBlock && out.findings.size() > before) continue;
      out.passages.push_back(mode == PiiMode::kMask ? std::move(text) : std::string(passages[i]));
      out.kept.push_back(i);
    }
    if (mode == PiiMode::kMask) out.originals = masker.originals();
  } catch (const std::exception& e) {
    return Internal(std::string("the PII guard failed (") + e.what() + "); nothing was sent");
  } catch (...) {
    return Internal("the PII guard failed; nothing was sent");
  }
  return out;
}

}  // namespace daulat::governance
