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
};

// Runs one model call of a begun generation and answers it the OpenAI way:
// a stream of chunks (SSE) or one JSON body, with finish reasons stop,
// length, tool_calls or content_filter. Failures before the model runs are
// plain HTTP errors; a client that leaves cancels the call; a server that
// stops ends streams with an error event and whole answers with 503. The
// call's audit record is written before the final bytes ([DONE]) go out.
void RespondOpenAi(const std::shared_ptr<ApiCall>& call,
                   const std::shared_ptr<gateway::Generation>& generation,
                   gateway::GenerationRequest request, const OpenAiResponseOptions& options);

nlohmann::json Usage(const engine::GenerationStats& s);

}  // namespace daulat::http
