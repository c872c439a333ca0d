#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "common/status.h"

namespace daulat::assessment {

// Gate conditions: {fact, eq|gt|ge|lt|le: value} leaves joined by all, any
// and not. OK, or INVALID_ARGUMENT naming `path` and what is wrong (unknown
// fact, missing operator, non-numeric comparison, nesting deeper than 16).
Status CheckCondition(const nlohmann::json& condition, const std::string& path,
                      const std::set<std::string>& facts, int depth = 0);

// Kleene logic over the facts answered so far: a condition over an
// unanswered fact may be unknown.
enum class Truth { kFalse, kTrue, kUnknown };
Truth Evaluate(const nlohmann::json& condition, const std::map<std::string, nlohmann::json>& facts);

}  // namespace daulat::assessment
