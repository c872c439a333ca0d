#pragma once

#include <nlohmann/json.hpp>

#include "knowledge/grounded_answer.h"
#include "knowledge/library.h"
#include "knowledge/summarizer.h"

namespace daulat::knowledge {

// The JSON forms the API and the CLI print (docs/lumin.md).
// Without the document count: it would count documents the reader may not see.
nlohmann::json ToJson(const CollectionInfo& c);
nlohmann::json ToJson(const DocumentInfo& d);
nlohmann::json ToJson(const SearchHit& h);
// An answer with its citations resolved against the sources it was given.
nlohmann::json ToJson(const FinishedAnswer& a, const std::vector<SearchHit>& sources,
                      const std::string& language);
// A summary with its citations resolved against the passages it read.
nlohmann::json ToJson(const Summary& s, const Passages& read, const std::string& language);

}  // namespace daulat::knowledge
