// A model file's header as daulat checks it before llama.cpp reads it, then
// llama.cpp's own GGUF reader (metadata only) on what passed, as a model load
// begins: a damaged or hostile model file must be refused, not crash.
#include <gguf.h>

#include "engine/model.h"
#include "file_input.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace daulat;
  const auto path = fuzz::WriteInputFile(fuzz::Text(data, size), "model.gguf");
  if (!engine::CheckGgufHeader(path).ok()) return 0;
  gguf_init_params params{};
  params.no_alloc = true;
  params.ctx = nullptr;
  if (gguf_context* ctx = gguf_init_from_file(path.c_str(), params)) gguf_free(ctx);
  return 0;
}
