#include "engine/control_tokens.h"

#include <llama.h>

#include <algorithm>
#include <set>

#include "engine/model.h"

namespace daulat::engine {
namespace {

constexpr std::string_view kWordJoiner = "\u2060";
constexpr size_t kLongestMarkupName = 48;

char Lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::vector<std::string> GenericMarkup() {
  return {"<start_of_turn>",
          "<end_of_turn>",
          "<start_of_image>",
          "<end_of_image>",
          "<bos>",
          "<eos>",
          "<pad>",
          "<unk>",
          "<s>",
          "</s>",
          "[INST]",
          "[/INST]",
          "<<SYS>>",
          "<</SYS>>",
          "[SYSTEM_PROMPT]",
          "[/SYSTEM_PROMPT]",
          "[AVAILABLE_TOOLS]",
          "[/AVAILABLE_TOOLS]",
          "[TOOL_CALLS]",
          "[TOOL_RESULTS]",
          "[/TOOL_RESULTS]",
          "<tool_call>",
          "</tool_call>",
          "<tool_response>",
          "</tool_response>",
          "<think>",
          "</think>",
          "<tools>",
          "</tools>",
          "<arg_key>",
          "</arg_key>",
          "<arg_value>",
          "</arg_value>",
          "[ARGS]",
          "[CALL_ID]",
          "[THINK]",
          "[/THINK]"};
}

// "<|im_start|>", "<|eot_id|>", "<|start_header_id|>", and DeepSeek's
// full-width "<｜begin▁of▁sentence｜>": any short name between the bars.
size_t BarredMarkup(std::string_view text, size_t pos) {
  for (const auto& [open, close] :
       {std::pair<std::string_view, std::string_view>{"<|", "|>"}, {"<\uff5c", "\uff5c>"}}) {
    if (text.substr(pos, open.size()) != open) continue;
    const size_t end = text.find(close, pos + open.size());
    if (end == std::string_view::npos || end == pos + open.size() ||
        end - pos - open.size() > kLongestMarkupName * 3)
      continue;
    const std::string_view name = text.substr(pos + open.size(), end - pos - open.size());
    const bool plain = std::none_of(name.begin(), name.end(), [](char c) {
      return c == ' ' || c == '\n' || c == '\t' || c == '<' || c == '>' || c == '|';
    });
    if (plain) return end + close.size() - pos;
  }
  // Gemma 4's half-barred "<|turn>", "<turn|>", "<|tool_call>".
  const auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (text[pos] != '<') return 0;
  const bool opening = pos + 1 < text.size() && text[pos + 1] == '|';
  size_t end = pos + (opening ? 2 : 1);
  while (end < text.size() && end - pos <= kLongestMarkupName && word(text[end])) ++end;
  if (end == pos + (opening ? 2 : 1)) return 0;
  if (opening && end < text.size() && text[end] == '>') return end + 1 - pos;
  if (!opening && text.substr(end, 2) == "|>") return end + 2 - pos;
  return 0;
}

// The elements some vocabularies (Gemma's) define as tokens of their own:
// ordinary text, kept as written so tables in documents read as tables.
bool IsHtmlTag(std::string_view text) {
  static const std::set<std::string_view, std::less<>> kElements = {
      "a",     "b",     "blockquote", "body",  "caption", "code",    "div",    "em",  "footer",
      "h1",    "h2",    "h3",         "h4",    "h5",      "h6",      "html",   "i",   "iframe",
      "img",   "li",    "ol",         "p",     "pre",     "span",    "strong", "sub", "sup",
      "table", "tbody", "td",         "tfoot", "th",      "thead",   "tr",     "u",   "ul",
      "br",    "hr",    "header",     "nav",   "section", "article", "main"};
  if (text.size() < 3 || text.front() != '<' || text.back() != '>') return false;
  std::string_view name = text.substr(1, text.size() - 2);
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);
  return kElements.count(name) > 0;
}

// A user-defined token that reads as markup ("<tool_call>", "<|tool_call>",
// "[multimodal]"): the tokenizer matches these even with special parsing
// off. Whitespace runs and plain words some vocabularies also define are
// text.
bool IsUserDefinedMarkup(std::string_view text) {
  if (text.size() < 3 || IsHtmlTag(text)) return false;
  const bool angled = text.front() == '<' && text.back() == '>';
  const bool squared = text.front() == '[' && text.back() == ']';
  return (angled || squared) && std::none_of(text.begin(), text.end(), [](char c) {
           return c == ' ' || c == '\n' || c == '\t' || c == '\r';
         });
}

size_t Utf8Length(char lead) {
  const auto b = static_cast<unsigned char>(lead);
  return b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
}

}  // namespace

ControlTokenFilter::ControlTokenFilter(std::vector<std::string> tokens) : by_first_byte_(256) {
  for (auto& t : tokens) {
    if (t.size() < 2) continue;
    std::transform(t.begin(), t.end(), t.begin(), Lower);
    by_first_byte_[static_cast<unsigned char>(t[0])].push_back(std::move(t));
  }
  for (auto& list : by_first_byte_) {
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a.size() > b.size(); });
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
}

const ControlTokenFilter& ControlTokenFilter::Generic() {
  static const ControlTokenFilter generic(GenericMarkup());
  return generic;
}

ControlTokenFilter ControlTokenFilter::ForModel(const Model& model) {
  std::vector<std::string> tokens = GenericMarkup();
  const llama_vocab* vocab = model.vocab();
  const int32_t n = llama_vocab_n_tokens(vocab);
  for (int32_t id = 0; id < n; ++id) {
    const auto attr = llama_vocab_get_attr(vocab, id);
    const char* text = llama_vocab_get_text(vocab, id);
    if (text == nullptr) continue;
    // Control tokens only come from special parsing; user-defined ones
    // always do, so those that act as markup are neutralised too.
    if ((attr & (LLAMA_TOKEN_ATTR_CONTROL | LLAMA_TOKEN_ATTR_UNKNOWN)) != 0 ||
        ((attr & LLAMA_TOKEN_ATTR_USER_DEFINED) != 0 && IsUserDefinedMarkup(text)))
      tokens.emplace_back(text);
  }
  return ControlTokenFilter(std::move(tokens));
}

size_t ControlTokenFilter::MatchAt(std::string_view text, size_t pos) const {
  if (const size_t barred = BarredMarkup(text, pos); barred > 0) return barred;
  for (const auto& token : by_first_byte_[static_cast<unsigned char>(Lower(text[pos]))]) {
    if (token.size() > text.size() - pos) continue;
    bool same = true;
    for (size_t i = 0; i < token.size() && same; ++i) same = Lower(text[pos + i]) == token[i];
    if (same) return token.size();
  }
  return 0;
}

std::string ControlTokenFilter::Neutralise(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t match = MatchAt(text, pos);
    if (match == 0) {
      out.push_back(text[pos++]);
      continue;
    }
    // The rest of the match is scanned again: it may hold another token.
    const size_t first = std::min(Utf8Length(text[pos]), match);
    out.append(text.substr(pos, first));
    out.append(kWordJoiner);
    pos += first;
  }
  return out;
}

}  // namespace daulat::engine
