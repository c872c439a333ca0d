#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace daulat::governance {

// Personal data daulat recognises, Malaysian identifiers first.
enum class PiiType {
  kMyKad,
  kPhone,
  kEmail,
  kPassport,
  kCompanyNumber,
  kBankAccount,
  kPaymentCard,
  kIpAddress
};

// "MYKAD", "PHONE", ... (also the placeholder stem: <MYKAD_1>).
std::string_view PiiTypeName(PiiType type);

struct PiiFinding {
  PiiType type = PiiType::kMyKad;
  size_t start = 0;  // Unicode code points from the start of the text
  size_t end = 0;    // exclusive
  size_t byte_start = 0;
  size_t byte_end = 0;
  double score = 0;         // 0..1: how sure the recogniser is
  std::string explanation;  // why it matched: pattern, validation, context
  std::string text;
};

struct MaskedText {
  std::string text;                              // with <TYPE_n> placeholders
  std::map<std::string, std::string> originals;  // placeholder -> original value
  std::vector<PiiFinding> findings;
};

// Presidio-style recognisers: a pattern, a validation (real date and valid
// place-of-birth code for MyKad, Luhn for cards, octet ranges for IPv4),
// context words in Malay and English that raise the score, and an
// explanation per finding. Deterministic and allocation-light; thread-safe.
class PiiGuard {
 public:
  explicit PiiGuard(double min_score = 0.5) : min_score_(min_score) {}

  // Findings at or above the minimum score, in text order, without overlaps
  // (the higher score wins).
  std::vector<PiiFinding> Scan(std::string_view text) const;

  // Replaces each finding with a typed placeholder; equal values share one.
  MaskedText Mask(std::string_view text) const;

 private:
  double min_score_;
};

// Puts the original values back (for the caller's own answer).
std::string Unmask(std::string_view text, const std::map<std::string, std::string>& originals);

}  // namespace daulat::governance
