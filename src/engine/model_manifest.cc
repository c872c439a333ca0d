#include "engine/model_manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace daulat::engine {
namespace {

using nlohmann::json;

Status RequireString(const json& j, const char* key, std::string& out, bool required) {
  if (!j.contains(key)) {
    return required ? InvalidArgument(std::string("manifest lacks \"") + key + "\"") : Status::Ok();
  }
  if (!j[key].is_string())
    return InvalidArgument(std::string("manifest \"") + key + "\" must be a string");
  out = j[key].get<std::string>();
  return Status::Ok();
}

Status RequireStringArray(const json& j, const char* key, std::vector<std::string>& out) {
  if (!j.contains(key)) return Status::Ok();
  const auto bad = [key] {
    return InvalidArgument(std::string("manifest \"") + key + "\" must be an array of strings");
  };
  if (!j[key].is_array()) return bad();
  for (const auto& v : j[key]) {
    if (!v.is_string() || v.get<std::string>().empty()) return bad();
    out.push_back(v.get<std::string>());
  }
  return Status::Ok();
}

bool IsHexSha256(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

}  // namespace

bool ModelManifest::HasCapability(const std::string& capability) const {
  return std::find(capabilities.begin(), capabilities.end(), capability) != capabilities.end();
}

bool IsValidModelName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  if (name.front() == '.' || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

Result<ModelManifest> ParseManifest(const std::string& json_text) {
  const json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("manifest is not valid JSON");
  if (!j.is_object()) return InvalidArgument("manifest must be a JSON object");
  ModelManifest m;
  DAULAT_RETURN_IF_ERROR(RequireString(j, "name", m.name, true));
  DAULAT_RETURN_IF_ERROR(RequireString(j, "file", m.file, true));
  DAULAT_RETURN_IF_ERROR(RequireString(j, "sha256", m.sha256, true));
  DAULAT_RETURN_IF_ERROR(RequireString(j, "licence", m.licence, false));
  DAULAT_RETURN_IF_ERROR(RequireString(j, "origin", m.origin, false));
  DAULAT_RETURN_IF_ERROR(RequireString(j, "upstream", m.upstream, false));
  DAULAT_RETURN_IF_ERROR(RequireString(j, "architecture", m.architecture, false));
  DAULAT_RETURN_IF_ERROR(RequireString(j, "quantisation", m.quantisation, false));
  DAULAT_RETURN_IF_ERROR(RequireString(j, "model_card", m.model_card, false));
  DAULAT_RETURN_IF_ERROR(RequireString(j, "chat_template_file", m.chat_template_file, false));
  DAULAT_RETURN_IF_ERROR(RequireString(j, "query_prefix", m.query_prefix, false));
  DAULAT_RETURN_IF_ERROR(RequireString(j, "passage_prefix", m.passage_prefix, false));
  if (m.query_prefix.size() > 64 || m.passage_prefix.size() > 64)
    return InvalidArgument("manifest \"query_prefix\" and \"passage_prefix\" are at most 64 bytes");
  if (!IsValidModelName(m.name)) {
    return InvalidArgument("manifest name '" + m.name +
                           "' is not a valid model name (use a-z, 0-9, '.', '_', '-')");
  }
  if (!IsPlainFileName(m.file)) {
    return InvalidArgument("manifest \"file\" must be a plain file name in the model's folder");
  }
  if (!m.chat_template_file.empty() && !IsPlainFileName(m.chat_template_file)) {
    return InvalidArgument(
        "manifest \"chat_template_file\" must be a plain file name in the model's folder");
  }
  if (!IsHexSha256(m.sha256))
    return InvalidArgument("manifest \"sha256\" must be 64 lower-case hex digits");
  if (j.contains("size_bytes")) {
    if (!j["size_bytes"].is_number_unsigned())
      return InvalidArgument("manifest \"size_bytes\" must be a non-negative integer");
    m.size_bytes = j["size_bytes"].get<uint64_t>();
  }
  if (j.contains("context_length")) {
    if (!j["context_length"].is_number_unsigned())
      return InvalidArgument("manifest \"context_length\" must be a non-negative integer");
    m.context_length = j["context_length"].get<uint32_t>();
  }
  if (j.contains("max_classification")) {
    std::string label;
    DAULAT_RETURN_IF_ERROR(RequireString(j, "max_classification", label, true));
    const auto c = ParseClassification(label);
    if (!c)
      return InvalidArgument("manifest \"max_classification\" '" + label +
                             "' is not a classification level");
    m.max_classification = *c;
  }
  DAULAT_RETURN_IF_ERROR(RequireStringArray(j, "capabilities", m.capabilities));
  DAULAT_RETURN_IF_ERROR(RequireStringArray(j, "stop", m.stop));
  return m;
}

std::string ManifestToJson(const ModelManifest& m, int indent) {
  json j = {{"name", m.name},
            {"file", m.file},
            {"sha256", m.sha256},
            {"size_bytes", m.size_bytes},
            {"licence", m.licence},
            {"origin", m.origin},
            {"upstream", m.upstream},
            {"architecture", m.architecture},
            {"context_length", m.context_length},
            {"quantisation", m.quantisation},
            {"max_classification", std::string(ClassificationName(m.max_classification))},
            {"capabilities", m.capabilities},
            {"model_card", m.model_card}};
  if (!m.chat_template_file.empty()) j["chat_template_file"] = m.chat_template_file;
  if (!m.stop.empty()) j["stop"] = m.stop;
  if (!m.query_prefix.empty()) j["query_prefix"] = m.query_prefix;
  if (!m.passage_prefix.empty()) j["passage_prefix"] = m.passage_prefix;
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace daulat::engine
