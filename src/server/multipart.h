#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace daulat::server {

// One part of a multipart/form-data body.
struct FormPart {
  std::string name;
  std::string filename;  // set for file fields
  std::string content_type;
  std::string_view data;  // points into the body
};

// Splits a multipart/form-data body (RFC 7578) given the request's
// Content-Type. INVALID_ARGUMENT for a missing boundary, a malformed part or
// more than `max_parts` parts. The parts' data point into `body`.
Result<std::vector<FormPart>> ParseMultipart(std::string_view content_type, std::string_view body,
                                             size_t max_parts = 64);

}  // namespace daulat::server
