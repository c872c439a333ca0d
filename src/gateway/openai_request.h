#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/chat_template.h"
#include "engine/sampling.h"
#include "gateway/tool_calls.h"

namespace daulat::gateway {

// The OpenAI wire format of a request body, read into what the generation
// service takes. Here rather than in http so that every reader of such bodies
// (the HTTP API, bulk jobs reading OpenAI batch files) validates them alike.
// Parsing never throws: every problem is INVALID_ARGUMENT naming the parameter.
// Choices one request may ask for (`n`): each is a model call of its own.
inline constexpr int32_t kMaxChoices = 16;

struct ChatCompletionRequest {
  std::string model;
  int32_t n = 1;  // choices
  std::vector<engine::ChatMessage> messages;
  engine::SamplingParams params;
  bool stream = false;
  bool include_usage = false;
  std::string json_schema;   // response_format json_schema: the schema text
  bool json_object = false;  // response_format json_object
  ToolRequest tools;         // no tools: plain chat
};

struct CompletionRequest {
  std::string model;
  int32_t n = 1;  // choices
  std::string prompt;
  engine::SamplingParams params;
  bool stream = false;
  bool include_usage = false;
  bool echo = false;
};

struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> inputs;
  bool base64 = false;
};

// `param` in errors is the JSON path of the offending field.
struct RequestError {
  Status status;
  std::string param;
};

template <typename T>
struct Parsed {
  T value;
  std::optional<RequestError> error;
};

Parsed<ChatCompletionRequest> ParseChatCompletion(const nlohmann::json& body);
Parsed<CompletionRequest> ParseCompletion(const nlohmann::json& body);
Parsed<EmbeddingRequest> ParseEmbedding(const nlohmann::json& body);

}  // namespace daulat::gateway
