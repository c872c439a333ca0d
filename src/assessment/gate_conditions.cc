#include "assessment/gate_conditions.h"

namespace daulat::assessment {

using nlohmann::json;

Status CheckCondition(const json& c, const std::string& path, const std::set<std::string>& facts,
                      int depth) {
  const auto bad = [&](const std::string& what) {
    return InvalidArgument("framework: " + path + " " + what);
  };
  if (depth > 16) return bad("is nested too deeply");
  if (!c.is_object() || c.size() != (c.contains("fact") ? 2u : 1u))
    return bad("must be {fact, eq|gt|ge|lt|le: value} or one of all/any/not");
  if (c.contains("all") || c.contains("any")) {
    const json& list = c.contains("all") ? c["all"] : c["any"];
    if (!list.is_array() || list.empty()) return bad("all/any must be a non-empty list");
    for (size_t i = 0; i < list.size(); ++i) {
      DAULAT_RETURN_IF_ERROR(
          CheckCondition(list[i], path + "[" + std::to_string(i) + "]", facts, depth + 1));
    }
    return Status::Ok();
  }
  if (c.contains("not")) return CheckCondition(c["not"], path + ".not", facts, depth + 1);
  if (!c["fact"].is_string() || facts.count(c["fact"].get<std::string>()) == 0)
    return bad("names an unknown fact");
  for (const char* op : {"eq", "gt", "ge", "lt", "le"}) {
    if (!c.contains(op)) continue;
    if (std::string(op) != "eq" && !c[op].is_number())
      return bad(std::string(op) + " needs a number");
    return Status::Ok();
  }
  return bad("needs one of eq, gt, ge, lt, le");
}

namespace {

Truth Compare(const json& c, const json& v) {
  for (const char* op : {"eq", "gt", "ge", "lt", "le"}) {
    if (!c.contains(op)) continue;
    const json& want = c[op];
    if (std::string(op) == "eq") {
      if (want.is_number() && v.is_number())
        return want.get<double>() == v.get<double>() ? Truth::kTrue : Truth::kFalse;
      return want == v ? Truth::kTrue : Truth::kFalse;
    }
    if (!v.is_number()) return Truth::kUnknown;
    const double a = v.get<double>(), b = want.get<double>();
    const std::string o = op;
    const bool r = o == "gt" ? a > b : o == "ge" ? a >= b : o == "lt" ? a < b : a <= b;
    return r ? Truth::kTrue : Truth::kFalse;
  }
  return Truth::kUnknown;
}

}  // namespace

Truth Evaluate(const json& c, const std::map<std::string, json>& facts) {
  if (c.contains("all") || c.contains("any")) {
    const bool all = c.contains("all");
    bool unknown = false;
    for (const auto& sub : all ? c["all"] : c["any"]) {
      const Truth t = Evaluate(sub, facts);
      if (t == Truth::kUnknown)
        unknown = true;
      else if ((t == Truth::kTrue) != all)
        return t;  // all: a false decides; any: a true decides
    }
    return unknown ? Truth::kUnknown : (all ? Truth::kTrue : Truth::kFalse);
  }
  if (c.contains("not")) {
    const Truth t = Evaluate(c["not"], facts);
    return t == Truth::kUnknown ? t : (t == Truth::kTrue ? Truth::kFalse : Truth::kTrue);
  }
  const auto it = facts.find(c.value("fact", ""));
  if (it == facts.end() || it->second.is_null()) return Truth::kUnknown;
  return Compare(c, it->second);
}

}  // namespace daulat::assessment
