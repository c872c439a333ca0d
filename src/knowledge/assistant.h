#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "knowledge/conversations.h"
#include "knowledge/grounded_answer.h"
#include "knowledge/library.h"
#include "knowledge/summarizer.h"
#include "knowledge/text_generator.h"

namespace daulat::knowledge {

struct AskRequest {
  std::string question;    // 1..4000 bytes
  std::string collection;  // empty: every collection
  size_t top_k = 5;
  std::string language;         // "ms", "en", or empty: the question's
  std::string conversation_id;  // empty: a question on its own
  std::string owner;            // the credential that owns the conversation
  // After the answer, one short model call asks whether the cited sources
  // state it (BuildSupportCheckPrompt); a NO makes it the refusal. Off by
  // default: Qwen2.5-Coder-1.5B says YES to its own guesses (bench/rag:
  // refusal accuracy unchanged, false refusals 0.03 -> 0.13); for larger models.
  bool check_support = false;
};

struct AskResult {
  FinishedAnswer answer;
  std::vector<SearchHit> sources;  // as the model read them, numbered [1]...
  std::string language;
  size_t withheld = 0;  // passages the personal-data rule kept from the model
  std::string conversation_id;
  bool model_used = false;
};
nlohmann::json ToJson(const AskResult& r);

struct SummarizeRequest {
  PassageScope scope;
  std::string language;  // "ms", "en", or empty: the passages'
  size_t max_points = 8;
};

struct SummaryResult {
  Summary summary;
  Passages read;  // as the model read them
  std::string language;
  size_t withheld = 0;
};
nlohmann::json ToJson(const SummaryResult& r);

// Lumin, the assistant: answers from the library with numbered citations or
// the refusal, in conversations or alone, and summaries, written against
// TextGenerator so that the API and the CLI share it and tests can fake the
// model. Reads only what the reader may see (the library filters inside
// retrieval). Blocking (it waits for the model); thread-safe.
class Assistant {
 public:
  // `conversations` may be null (no conversations).
  Assistant(Library& library, Conversations* conversations)
      : library_(library), conversations_(conversations) {}

  // The answer to a question. In a conversation, the last three turns
  // within the reader's clearance are the model's context (a short
  // follow-up is searched with the question before it), the answer's label
  // is at least theirs, and the turn is stored before this returns. No
  // source the reader may see: the refusal, without the model.
  Result<AskResult> Ask(const Reader& reader, const AskRequest& request, TextGenerator& model,
                        const std::function<void(const std::string&)>& on_text = nullptr) const;

  // Key points of a document or a collection (map-reduce, see SummaryRun).
  // `on_progress(done, planned)` before each model call. A call whose
  // output the personal-data rule blocks contributes no points (counted as
  // dropped).
  Result<SummaryResult> Summarize(
      const Reader& reader, const SummarizeRequest& request, TextGenerator& model,
      const std::function<void(size_t, size_t)>& on_progress = nullptr) const;

 private:
  Library& library_;
  Conversations* conversations_;
};

}  // namespace daulat::knowledge
