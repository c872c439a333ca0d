// /v1 request bodies (chat completions, completions, embeddings) as the
// server reads them: the depth check, the parse into a typed request, and
// for chat what follows without a model: the JSON-schema grammar and the
// tool-calling conversation. DAULAT_FUZZ_BODY picks the body: 0 chat,
// 1 completions, 2 embeddings.
#include <string>

#include "engine/structured_output.h"
#include "fuzz_support.h"
#include "gateway/openai_request.h"
#include "gateway/tool_calls.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace daulat;
  const auto body = fuzz::JsonBody(fuzz::Text(data, size));
  if (!body) return 0;
#if DAULAT_FUZZ_BODY == 0
  auto chat = gateway::ParseChatCompletion(*body);
  if (chat.error) return 0;
  if (!chat.value.json_schema.empty()) (void)engine::GrammarForJsonSchema(chat.value.json_schema);
  if (!chat.value.tools.tools.empty()) {
    auto messages = chat.value.messages;
    (void)gateway::PrepareToolConversation(chat.value.tools, messages);
  }
#elif DAULAT_FUZZ_BODY == 1
  (void)gateway::ParseCompletion(*body);
#else
  (void)gateway::ParseEmbedding(*body);
#endif
  return 0;
}
