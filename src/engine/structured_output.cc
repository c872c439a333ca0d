#include "engine/structured_output.h"

#include <json-schema-to-grammar.h>
#include <json.h>

#include <exception>

namespace daulat::engine {

Result<std::string> GrammarForJsonSchema(const std::string& schema_json) {
  try {
    const common_json schema = common_json::parse(schema_json);
    std::string grammar = json_schema_to_grammar(schema);
    if (grammar.empty()) return InvalidArgument("the JSON schema produced no grammar");
    return grammar;
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("unsupported JSON schema: ") + e.what());
  }
}

Result<std::string> GrammarForJsonObject() {
  return GrammarForJsonSchema(R"({"type":"object"})");
}

}  // namespace daulat::engine
