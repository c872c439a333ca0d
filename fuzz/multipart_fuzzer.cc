// Upload bodies (multipart/form-data). The input's first line is the
// request's Content-Type, the rest its body. Every part must lie inside the
// body: the parts are views, and a view past its end would read freed memory.
#include <string_view>

#include "fuzz_support.h"
#include "server/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace daulat;
  const std::string_view input = fuzz::Text(data, size);
  const size_t eol = input.find('\n');
  if (eol == std::string_view::npos) return 0;
  const std::string_view content_type = input.substr(0, eol);
  const std::string_view body = input.substr(eol + 1);
  auto parts = server::ParseMultipart(content_type, body);
  if (!parts.ok()) return 0;
  if (parts->size() > 64) fuzz::PropertyFailed("more parts than max_parts");
  for (const auto& part : *parts) {
    if (part.data.empty()) continue;
    if (part.data.data() < body.data() ||
        part.data.data() + part.data.size() > body.data() + body.size()) {
      fuzz::PropertyFailed("a part's data lies outside the body");
    }
  }
  return 0;
}
