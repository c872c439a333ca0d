// A model's answer when tools were offered, read for tool calls: the model
// may have been steered by a hostile document or prompt into any text.
#include <string>

#include "fuzz_support.h"
#include "gateway/tool_calls.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)daulat::gateway::ParseToolReply(std::string(daulat::fuzz::Text(data, size)));
  return 0;
}
