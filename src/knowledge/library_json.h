#pragma once

#include <nlohmann/json.hpp>

#include "knowledge/library.h"

namespace daulat::knowledge {

// The JSON forms the API and the CLI print (docs/lumin.md).
nlohmann::json ToJson(const DocumentInfo& d);
nlohmann::json ToJson(const SearchHit& h);

}  // namespace daulat::knowledge
