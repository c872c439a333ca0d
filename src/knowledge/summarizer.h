#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/classification.h"
#include "knowledge/grounded_answer.h"
#include "knowledge/library.h"

namespace daulat::knowledge {

struct SummaryOptions {
  std::string language = "en";  // "ms" or "en": the summary's language
  size_t max_points = 8;        // 1..20
  size_t batch_chars = 6000;    // source text per model call (map step)
};

struct KeyPoint {
  std::string text;        // without its bullet or source numbers
  std::vector<int> cited;  // 1-based passage numbers
  // The model cited nothing, or a passage without the point's figures: the
  // passage that supports it is cited instead.
  bool inferred = false;
};

struct Summary {
  std::vector<KeyPoint> points;
  std::string text;  // the points as "- text [n]" lines
  // The highest label of every passage the model read.
  Classification classification = Classification::kTerbuka;
  size_t map_calls = 0, reduce_calls = 0;
  size_t dropped_points = 0;  // lines no passage supports: left out, never guessed
  std::vector<std::pair<int, std::string>> flags;  // passage number, instruction-like excerpt
};

// "ms" or "en": the language the passages are mostly written in (from their
// first 4,000 bytes), the default language of their summary.
std::string PassagesLanguage(const std::vector<SearchHit>& passages);

// The points as "- text [n]" lines.
std::string SummaryText(const std::vector<KeyPoint>& points);

// Map-reduce summary of passages in document order. The caller drives the
// model: while Next() gives a prompt, run it and hand the output to Accept();
// then Finish(). Map: each batch of passages (numbered globally, delimited as
// data) becomes key points with source numbers; reduce: groups of key points
// are merged until one list remains. A point must cite passages it was given,
// or be supported by one (most of its terms, or every figure it states when
// it is written in another language), or it is dropped; a point's figures
// (amounts, dates, codes) must be in a passage it cites, else it cites the
// one that holds them, or is dropped: a summary never carries a claim or a
// number no passage backs. Not thread-safe; deterministic for
// deterministic model outputs.
class SummaryRun {
 public:
  SummaryRun(std::vector<SearchHit> passages, SummaryOptions options);

  std::optional<GroundedPrompt> Next();
  void Accept(const std::string& model_output);
  Summary Finish() const;

  size_t calls_done() const { return calls_done_; }
  // An estimate: the map calls plus the reduce calls they are expected to need.
  size_t calls_planned() const;
  const std::vector<SearchHit>& passages() const { return passages_; }

 private:
  // Points for a stretch of model output: bullets parsed, citations checked
  // against `allowed` (1-based passage numbers), uncited ones inferred or dropped.
  std::vector<KeyPoint> Points(const std::string& output, const std::vector<int>& allowed);
  GroundedPrompt MapPrompt(size_t batch) const;
  GroundedPrompt ReducePrompt(const std::vector<std::vector<KeyPoint>>& group) const;
  // Groups the pending lists by size for the next reduce round.
  void PlanReduceRound();

  std::vector<SearchHit> passages_;
  SummaryOptions options_;
  std::vector<std::pair<size_t, size_t>> batches_;  // passage ranges [first, last)
  size_t next_batch_ = 0;
  std::vector<std::vector<KeyPoint>> lists_;               // results of the last finished calls
  std::vector<std::vector<std::vector<KeyPoint>>> round_;  // reduce groups of the current round
  size_t next_group_ = 0;
  std::vector<std::vector<KeyPoint>> round_out_;
  size_t calls_done_ = 0, map_calls_ = 0, reduce_calls_ = 0, dropped_ = 0;
};

}  // namespace daulat::knowledge
