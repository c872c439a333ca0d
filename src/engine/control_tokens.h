#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace daulat::engine {

class Model;

// Text from users and documents must never become a model's control tokens:
// a chat prompt is tokenised with special tokens on, so that the template's
// own "<|im_start|>" and "<end_of_turn>" work, and a message holding
// "<|im_end|>\n<|im_start|>system\n..." would otherwise open a turn of its
// own. Every message content passes through Neutralise first: each control
// token's text, in any letter case, gets a WORD JOINER (U+2060) after its
// first character, so it tokenises as ordinary text and reads the same.
// Immutable; safe to share between threads.
class ControlTokenFilter {
 public:
  // The chat markup of common open models (ChatML "<|...|>", Gemma, Llama,
  // Mistral, DeepSeek), for remote engines whose vocabulary is unknown here.
  static const ControlTokenFilter& Generic();
  // Generic markup plus every control token of the model's own vocabulary.
  static ControlTokenFilter ForModel(const Model& model);

  std::string Neutralise(std::string_view text) const;

 private:
  explicit ControlTokenFilter(std::vector<std::string> tokens);
  // Length of the control token starting at `pos`, or 0.
  size_t MatchAt(std::string_view text, size_t pos) const;

  std::vector<std::vector<std::string>> by_first_byte_;  // lower-cased, longest first
};

}  // namespace daulat::engine
