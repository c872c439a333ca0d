// YAML (and JSON) into JSON values, for frameworks and answers files.

#include <yaml-cpp/yaml.h>

#include <regex>

#include "assessment/framework.h"

namespace daulat::assessment {
namespace {

using nlohmann::json;

// YAML 1.2 core schema for plain scalars; anything else is a string.
json PlainScalar(const std::string& s) {
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
      return s;
    }
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  return s;
}

json ToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return n.Tag() == "!" ? json(n.Scalar()) : PlainScalar(n.Scalar());
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : n) out.push_back(ToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : n) out[kv.first.as<std::string>()] = ToJson(kv.second);
      return out;
    }
  }
  return nullptr;
}

}  // namespace

Result<json> ParseYaml(const std::string& text) {
  try {
    return ToJson(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    return InvalidArgument("not valid YAML or JSON: " + std::string(e.what()));
  }
}

}  // namespace daulat::assessment
