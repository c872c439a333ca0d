#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace daulat::engine {

// Turns the byte pieces of generated tokens into text that is safe to show:
// never half a UTF-8 character, never the start of a stop string that might
// still complete, and nothing from a stop string onwards.
class TextStream {
 public:
  explicit TextStream(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  // Adds a piece; returns the text that can now be emitted (maybe empty).
  // After a stop string is found, stopped() is true and later pushes return "".
  std::string Push(std::string_view piece);
  // End of generation: returns whatever is still held back (an unfinished stop
  // prefix is ordinary text then). Incomplete UTF-8 at the very end is dropped.
  std::string Finish();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
};

// Length of the longest prefix of `s` that ends on a UTF-8 character boundary.
size_t CompleteUtf8Prefix(std::string_view s);

}  // namespace daulat::engine
