#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/sampling.h"
#include "gateway/generation_service.h"
#include "http/api_call.h"

namespace daulat::http {

struct OpenAiResponseOptions {
  bool chat = true;  // chat.completion(.chunk), else text_completion
  bool stream = false;
  bool include_usage = false;
  int n = 1;  // choices: model calls one after the other, each guarded alike
};

// Runs the model calls of a begun generation (one per choice) and answers
// them the OpenAI way: a stream of chunks (SSE, each choice's chunks under its
// index, one after the other) or one JSON body, with finish reasons stop,
// length, tool_calls or content_filter. Usage counts the prompt once and
// every choice's completion. Failures before the model runs are
// plain HTTP errors; a client that leaves cancels the call; a server that
// stops ends streams with an error event and whole answers with 503. The
// call's audit record is written before the final bytes ([DONE]) go out.
void RespondOpenAi(const std::shared_ptr<ApiCall>& call,
                   const std::shared_ptr<gateway::Generation>& generation,
                   gateway::GenerationRequest request, const OpenAiResponseOptions& options);

nlohmann::json Usage(const engine::GenerationStats& s);

}  // namespace daulat::http
