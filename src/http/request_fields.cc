#include "http/request_fields.h"

#include <algorithm>

namespace daulat::http {

RequestFields::RequestFields(const nlohmann::json& body, std::initializer_list<const char*> known)
    : body_(body) {
  if (!body_.is_object()) {
    Fail("the request body must be a JSON object");
    return;
  }
  for (const auto& item : body_.items()) {
    const std::string& key = item.key();
    if (std::none_of(known.begin(), known.end(), [&key](const char* k) { return key == k; })) {
      std::string names;
      for (const char* k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      Fail("unknown field '" + key.substr(0, 64) + "' (known: " + names + ")");
      return;
    }
  }
}

void RequestFields::Fail(std::string message) {
  if (status_.ok()) status_ = InvalidArgument(std::move(message));
}

const nlohmann::json* RequestFields::Get(const char* name, bool required) {
  if (!status_.ok()) return nullptr;
  const auto it = body_.find(name);
  if (it == body_.end() || it->is_null()) {
    if (required) Fail(std::string("'") + name + "' is required");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> RequestFields::String(const char* name, bool required, size_t max_len) {
  const auto* v = Get(name, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string() || v->get<std::string>().empty() || v->get<std::string>().size() > max_len) {
    Fail(std::string("'") + name + "' must be a string of 1 to " + std::to_string(max_len) +
         " bytes");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<int64_t> RequestFields::Int(const char* name, int64_t min, int64_t max) {
  const auto* v = Get(name, false);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max) {
    Fail(std::string("'") + name + "' must be a whole number from " + std::to_string(min) + " to " +
         std::to_string(max));
    return std::nullopt;
  }
  return v->get<int64_t>();
}

std::optional<bool> RequestFields::Bool(const char* name) {
  const auto* v = Get(name, false);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    Fail(std::string("'") + name + "' must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::vector<std::string>> RequestFields::Strings(const char* name, size_t max_items) {
  const auto* v = Get(name, false);
  if (v == nullptr) return std::nullopt;
  if (!v->is_array() || v->size() > max_items) {
    Fail(std::string("'") + name + "' must be an array of at most " + std::to_string(max_items) +
         " strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& e : *v) {
    if (!e.is_string()) {
      Fail(std::string("'") + name + "' must hold only strings");
      return std::nullopt;
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::optional<identity::Role> RequestFields::Role(const char* name, bool required) {
  const auto text = String(name, required, 16);
  if (!text) return std::nullopt;
  const auto role = identity::ParseRole(*text);
  if (!role) Fail(std::string("'") + name + "' must be owner, admin, auditor, member or service");
  return role;
}

std::optional<Classification> RequestFields::Clearance(const char* name, bool required) {
  const auto text = String(name, required, 32);
  if (!text) return std::nullopt;
  const auto c = ParseClassification(*text);
  if (!c)
    Fail(std::string("'") + name +
         "' must be a classification level: TERBUKA, TERHAD, SULIT, RAHSIA or RAHSIA BESAR");
  return c;
}

}  // namespace daulat::http
