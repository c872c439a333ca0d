#include "http/openai_errors.h"

namespace daulat::http {

HttpError ErrorFor(const Status& st) {
  switch (st.code()) {
    case StatusCode::kInvalidArgument: return {400, "invalid_request_error", nullptr};
    case StatusCode::kUnauthenticated: return {401, "invalid_request_error", "invalid_api_key"};
    case StatusCode::kPermissionDenied: return {403, "permission_error", nullptr};
    case StatusCode::kNotFound: return {404, "invalid_request_error", "model_not_found"};
    case StatusCode::kResourceExhausted: return {429, "rate_limit_error", "queue_full"};
    case StatusCode::kAlreadyExists: return {409, "invalid_request_error", "already_exists"};
    case StatusCode::kDeadlineExceeded: return {504, "timeout_error", nullptr};
    case StatusCode::kStorageFull: return {507, "server_error", "insufficient_storage"};
    case StatusCode::kUnavailable:
    case StatusCode::kFailedPrecondition: return {503, "server_error", nullptr};
    default: return {500, "server_error", nullptr};
  }
}

nlohmann::json ErrorBody(const Status& st, const std::string& param) {
  using nlohmann::json;
  HttpError e = ErrorFor(st);
  // OpenAI's code names a missing model; other missing things (documents, keys) are plain.
  if (st.code() == StatusCode::kNotFound && param != "model") e.code = "not_found";
  return {{"error",
           {{"message", st.message()},
            {"type", e.type},
            {"param", param.empty() ? json(nullptr) : json(param)},
            {"code", e.code == nullptr ? json(nullptr) : json(e.code)}}}};
}

std::string JsonText(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace daulat::http
