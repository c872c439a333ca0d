#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "governance/pii_guard.h"
#include "governance/policy.h"

namespace daulat::governance {

// The recogniser call the filters make; a test can substitute one that fails.
using PiiScanFn = std::function<std::vector<PiiFinding>(std::string_view)>;

// Masks several texts of one request with one numbering, so the same value
// gets the same placeholder in every message (<MYKAD_1> in the system
// message and in the user message). Not thread-safe: one per request.
class PiiMasker {
 public:
  explicit PiiMasker(PiiScanFn scan) : scan_(std::move(scan)) {}
  // The text with each finding replaced; findings are appended to `found`.
  std::string Mask(std::string_view text, std::vector<PiiFinding>* found);
  const std::map<std::string, std::string>& originals() const { return originals_; }

 private:
  PiiScanFn scan_;
  std::map<std::string, int> counters_;
  std::map<std::string, std::string> by_value_;  // "TYPE\0value" -> placeholder
  std::map<std::string, std::string> originals_;
};

// What a model may read of a question and the passages retrieved for it,
// under a level's prompt rule: everything (allow); everything masked with one
// numbering, originals kept to restore in the answer (mask); or, for block,
// the passages without personal data only (`kept` lists them by index), and
// PERMISSION_DENIED when the question itself holds some. INTERNAL when the
// scan fails: nothing reaches the model.
struct GuardedModelInput {
  std::string question;
  std::vector<std::string> passages;  // the kept ones, in order
  std::vector<size_t> kept;           // their indices in the input
  std::map<std::string, std::string> originals;
  std::vector<PiiFinding> findings;
};
Result<GuardedModelInput> GuardModelInput(const PiiScanFn& scan, PiiMode mode,
                                          std::string_view question,
                                          const std::vector<std::string_view>& passages);

// Guards one request's model output, whole or streamed: personal data the
// model produced is allowed, masked (<EMAIL_REDACTED>) or blocked as the
// policy's output mode says, and the caller's own masked values are put back
// (their placeholders replaced by the originals). Streaming-safe: a tail that
// could still become an identifier or a placeholder (the last word or digit
// group, at most 128 bytes) is held back until more text shows what it is,
// so an identifier split across chunks is still caught while ordinary words
// stream with one word of delay. Fails closed: if the scan throws, Push/Finish return INTERNAL and
// nothing more is released. Not thread-safe: one per request.
class OutputGuard {
 public:
  OutputGuard(PiiScanFn scan, PiiMode mode, std::map<std::string, std::string> originals);

  // Text that may be sent now (possibly empty). PERMISSION_DENIED when the
  // mode is block and personal data appeared; INTERNAL when the guard failed.
  Result<std::string> Push(std::string_view delta);
  // Everything still held back.
  Result<std::string> Finish();
  // Findings in the output so far, by type name.
  const std::map<std::string, int64_t>& counts() const { return counts_; }
  // The caller's masked values by placeholder (to restore an echoed prompt).
  const std::map<std::string, std::string>& originals() const { return originals_; }

 private:
  Result<std::string> Release(bool final);

  PiiScanFn scan_;
  PiiMode mode_;
  std::map<std::string, std::string> originals_;
  bool passthrough_;
  bool failed_ = false;
  std::string pending_;  // raw model text not yet released
  std::string context_;  // the last raw bytes released, for context words
  std::map<std::string, int64_t> counts_;
};

}  // namespace daulat::governance
