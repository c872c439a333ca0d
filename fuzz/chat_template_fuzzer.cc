// The chat template renderer with messages from a client: the input is
// records split by 0x1E, the first a role choice per message, the rest the
// messages' contents. With the first byte odd, the first record is instead a
// template source (an operator's override), rendered with the rest.
#include <memory>
#include <string>
#include <vector>

#include "engine/chat_template.h"
#include "engine/model.h"
#include "fuzz_support.h"
#include "tiny_model.h"

namespace {

std::shared_ptr<const daulat::engine::Model> TinyModel() {
  static const auto model = [] {
    auto m = daulat::engine::Model::Load(daulat::testing::SharedTinyModelPath());
    if (!m.ok()) daulat::fuzz::PropertyFailed("the tiny model does not load");
    return *m;
  }();
  return model;
}

std::vector<std::string> Records(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\x1e') {
      out.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace daulat;
  if (size > 8192) return 0;
  const bool with_template = fuzz::TakeChoice(data, size, 2) == 1;
  auto records = Records(fuzz::Text(data, size));
  std::string source;
  if (with_template) {
    source = records.front();
    records.erase(records.begin());
    if (source.empty()) return 0;  // empty means the model's own
  }
  auto tmpl = engine::ChatTemplate::ForModel(*TinyModel(), source);
  if (!tmpl.ok()) return 0;
  static const char* const kRoles[] = {"system", "user", "assistant", "tool", "developer"};
  std::vector<engine::ChatMessage> messages;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto role = records[i].empty() ? 1 : static_cast<unsigned char>(records[i][0]) % 5;
    messages.push_back({kRoles[role], records[i]});
  }
  (void)(*tmpl)->Apply(messages, /*add_generation_prompt=*/(size & 1) == 0);
  return 0;
}
