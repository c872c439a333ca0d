#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "engine/control_tokens.h"
#include "engine/model.h"

struct common_chat_templates;

namespace daulat::engine {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool"
  std::string content;
};

struct ChatPrompt {
  std::string text;                // to be tokenised with parse_special = true
  std::vector<std::string> stops;  // extra stop strings the template needs
};

// The model's own chat template (its GGUF tokenizer.chat_template, run by
// llama.cpp's Jinja engine in `common`); ChatML when the model has none.
// Message contents are data: the model's control tokens written in them are
// neutralised (ControlTokenFilter) before the template runs, so only the
// template's own markup becomes control tokens. Immutable after creation;
// Apply is safe from many threads.
class ChatTemplate {
 public:
  // `override_source`, when not empty, replaces the GGUF's template.
  // FAILED_PRECONDITION if the template does not parse.
  static Result<std::unique_ptr<ChatTemplate>> ForModel(const Model& model,
                                                        const std::string& override_source = "");
  ~ChatTemplate();
  ChatTemplate(const ChatTemplate&) = delete;
  ChatTemplate& operator=(const ChatTemplate&) = delete;

  // INVALID_ARGUMENT for an empty conversation, an unknown role, or a
  // conversation the template rejects (e.g. roles out of order).
  Result<ChatPrompt> Apply(const std::vector<ChatMessage>& messages,
                           bool add_generation_prompt = true) const;
  std::string source() const;

 private:
  ChatTemplate(common_chat_templates* templates, ControlTokenFilter filter)
      : templates_(templates), filter_(std::move(filter)) {}
  common_chat_templates* templates_;
  ControlTokenFilter filter_;
};

}  // namespace daulat::engine
