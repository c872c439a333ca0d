#pragma once

#include <string>

#include "common/status.h"

namespace daulat::engine {

// GBNF grammar that only admits JSON documents valid under `schema_json` (a
// JSON Schema), using llama.cpp's converter. INVALID_ARGUMENT when the schema
// is not JSON or uses what the converter cannot express.
Result<std::string> GrammarForJsonSchema(const std::string& schema_json);

// Grammar for "any JSON object" (OpenAI's response_format json_object).
Result<std::string> GrammarForJsonObject();

}  // namespace daulat::engine
