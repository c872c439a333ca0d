// The operator's `daulat serve --config FILE` (TOML).
#include "cli/serve_config.h"
#include "file_input.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace daulat;
  const auto path = fuzz::WriteInputFile(fuzz::Text(data, size), "daulat.toml");
  (void)cli::LoadServeConfig(path.string());
  return 0;
}
