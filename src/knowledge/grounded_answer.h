#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/classification.h"
#include "knowledge/delimited_data.h"
#include "knowledge/library.h"

namespace daulat::knowledge {

// The chat a model answers from: instructions that confine it to the
// numbered sources, and the question with the sources, each delimited as
// data (<source n="1" ...> ... </source>; a source's own text cannot close
// its tag). Retrieved text is never instructions (OWASP LLM01).
struct GroundedPrompt {
  std::string system;
  std::vector<std::pair<std::string, std::string>> history;  // earlier (question, answer)s
  std::string user;
};

// One retrieved passage as delimited data, numbered `n`: its own text can
// neither close nor open a <source> tag.
std::string SourceAsData(const SearchHit& source, size_t n);

// "ms" or "en": the language of the answer and of the refusal.
GroundedPrompt BuildGroundedPrompt(std::string_view question, const std::vector<SearchHit>& sources,
                                   const std::string& language);

// Stop strings for grounded generation: a model that starts writing source
// tags of its own has finished answering.
const std::vector<std::string>& GroundedStops();

// What the assistant says when the sources do not hold the answer.
std::string RefusalText(const std::string& language);
// True when the answer holds the refusal, in `language` or the other one.
bool IsRefusal(std::string_view answer, const std::string& language);

// The source numbers the answer cites ("[2]", "[1, 3]", "[Sumber 2]"), in
// order of first use, within 1..n_sources.
std::vector<int> CitedSources(std::string_view answer, size_t n_sources);

// Sentences in a retrieved passage that read like instructions to a model
// ("ignore previous instructions", "abaikan arahan sebelum ini", ...): flagged
// to the caller, and the passage stays delimited as data either way.
std::vector<std::string> InstructionLikeContent(std::string_view text);

// How much of the answer the sources support: the share of the answer's
// analysed terms found in each source (0..1), by source.
std::vector<double> SourceSupport(std::string_view answer, const std::vector<SearchHit>& sources);

// The numbers, amounts and codes the answer states ("rm1,200", "2610",
// "kj-9", "12/03/2025"), lower-cased: its words holding a digit.
std::vector<std::string> StatedFigures(std::string_view answer);

// Each citation marker points at a source that holds the figures of the
// sentence it closes: a marker whose sources do not hold them is rewritten
// to the first source that does ("RM50 [2]" -> "RM50 [1]" when only source
// 1 says RM50); markers of sentences without figures, or whose figures no
// source holds, are left as written.
std::string RepointCitations(std::string_view answer, const std::vector<SearchHit>& sources);

// Whether `source` states every one of `figures` (whole: "50" is not held by
// "RM500"); false for none. Figures are the same in every language, so they
// show support where a text and its source share no other word.
bool HoldsEveryFigure(const std::vector<std::string>& figures, const SearchHit& source);

// The answer's label: the highest among all the sources the model was given,
// cited or not. A model can repeat what it read without citing it, so a
// citation is no bound on what an answer may hold.
Classification AnswerClassification(const std::vector<SearchHit>& sources);

// A model's draft turned into what the caller gets. An answer that cites
// nothing is kept only when one source supports most of its words, or holds
// every figure it states (an answer in another language than its source
// shares little else); that source is then cited, `inferred`. Otherwise it
// is a guess and becomes the refusal.
struct FinishedAnswer {
  std::string answer;
  std::vector<int> cited;  // 1-based source numbers
  bool inferred = false;
  bool refused = false;
  bool grounded = false;
  Classification classification = Classification::kTerbuka;
  std::vector<std::pair<int, std::string>> flags;  // source number, instruction-like excerpt
};
// `model_used` false: there were no sources, the answer is the refusal. A
// draft that only restates `question` (every term of it is the question's)
// answers nothing and becomes the refusal too.
FinishedAnswer FinishAnswer(const std::string& draft, bool model_used,
                            const std::vector<SearchHit>& sources, const std::string& language,
                            std::string_view question = {});

// A second, short model call that asks whether the sources an answer cites
// state it (small models answer questions the documents cannot answer by
// guessing, citing whatever source is nearest). The prompt holds only the
// cited sources, the question and the answer without its markers; the model
// replies YES or NO.
GroundedPrompt BuildSupportCheckPrompt(std::string_view question, const FinishedAnswer& answer,
                                       const std::vector<SearchHit>& sources);
// The reply's verdict: true (YES / YA), false (NO / TIDAK), nullopt when it
// says neither (then the answer stands: the check only ever takes away).
std::optional<bool> SupportVerdict(std::string_view reply);
// The answer after a NO: the refusal, citing nothing.
void RefuseUnsupported(FinishedAnswer& answer, const std::string& language);

}  // namespace daulat::knowledge
