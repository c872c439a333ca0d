// The PII guard on a streamed answer: whatever way the model's text is cut
// into stream chunks, the guard releases the same text, masks the same
// identifiers and counts the same findings as when the whole answer arrives
// at once. The input's first byte seeds the chunk sizes (1 to 16 bytes).
#include <map>
#include <string>

#include "fuzz_support.h"
#include "governance/pii_filter.h"
#include "governance/pii_guard.h"

namespace {

using daulat::governance::OutputGuard;
using daulat::governance::PiiMode;

const daulat::governance::PiiGuard& Guard() {
  static const daulat::governance::PiiGuard guard;
  return guard;
}

struct Streamed {
  bool ok = true;
  std::string text;
  std::map<std::string, int64_t> counts;
};

Streamed Stream(std::string_view text, uint32_t seed) {
  OutputGuard guard([](std::string_view t) { return Guard().Scan(t); }, PiiMode::kMask, {});
  Streamed out;
  size_t i = 0;
  while (i < text.size()) {
    size_t n = text.size();
    if (seed != 0) {
      seed = seed * 1103515245u + 12345u;
      n = 1 + (seed >> 16) % 16;
    }
    auto part = guard.Push(text.substr(i, n));
    if (!part.ok()) return {false, {}, {}};
    out.text += *part;
    i += n;
  }
  auto tail = guard.Finish();
  if (!tail.ok()) return {false, {}, {}};
  out.text += *tail;
  out.counts = guard.counts();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace daulat;
  if (size == 0 || size > 4096) return 0;
  const uint32_t seed = data[0] | 1u;
  const std::string_view text = fuzz::Text(data + 1, size - 1);
  const Streamed whole = Stream(text, 0);
  const Streamed split = Stream(text, seed);
  if (whole.ok != split.ok) fuzz::PropertyFailed("the guard failed on one cut and not the other");
  if (whole.text != split.text) {
    std::fprintf(stderr, "whole: %s\nsplit: %s\n", whole.text.c_str(), split.text.c_str());
    fuzz::PropertyFailed("streamed in pieces, the guard released other text");
  }
  if (whole.counts != split.counts) fuzz::PropertyFailed("streamed in pieces, other findings");
  return 0;
}
