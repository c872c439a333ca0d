#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace daulat::http {

// How a Status travels over HTTP: OpenAI's status code, error type and code.
struct HttpError {
  unsigned status;
  const char* type;
  const char* code;  // null when OpenAI sends none
};
HttpError ErrorFor(const Status& st);

// {"error": {"message", "type", "param", "code"}}; `param` names the field at
// fault. A 404 is code "model_not_found" when `param` is "model", else "not_found".
nlohmann::json ErrorBody(const Status& st, const std::string& param = "");

// Serialises a response. Model output can hold invalid UTF-8 (a byte-level
// token on its own); it becomes U+FFFD instead of an exception.
std::string JsonText(const nlohmann::json& j);

}  // namespace daulat::http
