#pragma once

#include <string_view>

namespace daulat::http {

// The OpenAPI 3 document of the whole HTTP API (src/http/openapi.json,
// embedded at build time), served at /api/openapi.json.
std::string_view OpenApiDocument();

}  // namespace daulat::http
