#include "knowledge/library_json.h"

namespace daulat::knowledge {

nlohmann::json ToJson(const DocumentInfo& d) {
  return {{"id", d.id},
          {"object", "document"},
          {"collection", d.collection},
          {"title", d.title},
          {"source_name", d.source_name},
          {"format", d.format},
          {"language", d.language},
          {"classification", ClassificationName(d.classification)},
          {"acl", d.acl},
          {"content_hash", d.content_hash},
          {"version", d.version},
          {"size_bytes", d.size_bytes},
          {"pages", d.pages},
          {"chunks", d.chunks},
          {"pages_without_text", d.pages_without_text},
          {"ocr_pages", d.ocr_pages},
          {"created_at", d.created_at},
          {"duplicate", d.duplicate}};
}

nlohmann::json ToJson(const SearchHit& h) {
  return {{"object", "search.result"},
          {"document_id", h.document_id},
          {"title", h.document_title},
          {"source_name", h.source_name},
          {"collection", h.collection},
          {"chunk", h.chunk},
          {"page", h.page},
          {"heading_path", h.heading_path},
          {"char_start", h.char_start},
          {"char_end", h.char_end},
          {"classification", ClassificationName(h.classification)},
          {"score", h.score},
          {"text", h.text}};
}

nlohmann::json ToJson(const FinishedAnswer& a, const std::vector<SearchHit>& sources,
                      const std::string& language) {
  nlohmann::json citations = nlohmann::json::array();
  for (const int n : a.cited) {
    const auto& h = sources.at(static_cast<size_t>(n - 1));
    citations.push_back({{"n", n},
                         {"document_id", h.document_id},
                         {"title", h.document_title},
                         {"page", h.page},
                         {"heading_path", h.heading_path},
                         {"char_start", h.char_start},
                         {"char_end", h.char_end},
                         {"classification", ClassificationName(h.classification)}});
  }
  nlohmann::json flags = nlohmann::json::array();
  for (const auto& [n, excerpt] : a.flags) flags.push_back({{"source", n}, {"excerpt", excerpt}});
  return {{"object", "answer"},        {"answer", a.answer},
          {"grounded", a.grounded},    {"no_answer", a.refused},
          {"citations", citations},    {"citations_inferred", a.inferred},
          {"sources", sources.size()}, {"classification", ClassificationName(a.classification)},
          {"injection_flags", flags},  {"language", language}};
}

}  // namespace daulat::knowledge
