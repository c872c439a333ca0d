#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/classification.h"
#include "common/status.h"
#include "identity/identity_store.h"

namespace daulat::http {

// Reads a management request's JSON object strictly: unknown fields, wrong
// types and out-of-range values are INVALID_ARGUMENT naming the field. The
// first problem is kept in status(); later reads return nothing.
class RequestFields {
 public:
  RequestFields(const nlohmann::json& body, std::initializer_list<const char*> known);

  std::optional<std::string> String(const char* name, bool required, size_t max_len = 200);
  std::optional<int64_t> Int(const char* name, int64_t min, int64_t max);
  std::optional<bool> Bool(const char* name);
  std::optional<std::vector<std::string>> Strings(const char* name, size_t max_items);
  std::optional<identity::Role> Role(const char* name, bool required);
  std::optional<Classification> Clearance(const char* name, bool required);

  const Status& status() const { return status_; }

 private:
  const nlohmann::json* Get(const char* name, bool required);
  void Fail(std::string message);

  const nlohmann::json& body_;
  Status status_;
};

}  // namespace daulat::http
