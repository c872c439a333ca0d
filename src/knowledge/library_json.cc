#include "knowledge/library_json.h"

#include <algorithm>

namespace daulat::knowledge {

nlohmann::json ToJson(const CollectionInfo& c) {
  return {{"id", c.id},
          {"object", "collection"},
          {"name", c.name},
          {"description", c.description},
          {"created_at", c.created_at}};
}

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
  nlohmann::json j = {{"object", "search.result"},
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
  if (!h.replaced_by.empty()) {
    j["replaced_by"] = h.replaced_by;
    j["replaced_by_document"] = h.replaced_by_document;
  }
  return j;
}

namespace {

nlohmann::json Citations(const std::vector<int>& cited, const std::vector<SearchHit>& sources) {
  nlohmann::json citations = nlohmann::json::array();
  for (const int n : cited) {
    const auto& h = sources.at(static_cast<size_t>(n - 1));
    citations.push_back({{"n", n},
                         {"document_id", h.document_id},
                         {"title", h.document_title},
                         {"page", h.page},
                         {"heading_path", h.heading_path},
                         {"char_start", h.char_start},
                         {"char_end", h.char_end},
                         {"classification", ClassificationName(h.classification)},
                         {"text", h.text}});
    if (!h.replaced_by.empty()) {
      citations.back()["replaced_by"] = h.replaced_by;
      citations.back()["replaced_by_document"] = h.replaced_by_document;
    }
  }
  return citations;
}

nlohmann::json Flags(const std::vector<std::pair<int, std::string>>& flags) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [n, excerpt] : flags) out.push_back({{"source", n}, {"excerpt", excerpt}});
  return out;
}

}  // namespace

nlohmann::json ToJson(const FinishedAnswer& a, const std::vector<SearchHit>& sources,
                      const std::string& language) {
  return {{"object", "answer"},
          {"answer", a.answer},
          {"grounded", a.grounded},
          {"no_answer", a.refused},
          {"citations", Citations(a.cited, sources)},
          {"citations_inferred", a.inferred},
          {"sources", sources.size()},
          {"classification", ClassificationName(a.classification)},
          {"injection_flags", Flags(a.flags)},
          {"language", language}};
}

nlohmann::json ToJson(const Summary& s, const Passages& read, const std::string& language) {
  nlohmann::json points = nlohmann::json::array();
  std::vector<int> cited;
  for (const auto& p : s.points) {
    points.push_back({{"text", p.text}, {"citations", p.cited}, {"inferred", p.inferred}});
    cited.insert(cited.end(), p.cited.begin(), p.cited.end());
  }
  std::sort(cited.begin(), cited.end());
  cited.erase(std::unique(cited.begin(), cited.end()), cited.end());
  return {{"object", "summary"},
          {"summary", s.text},
          {"key_points", points},
          {"citations", Citations(cited, read.passages)},
          {"passages", read.passages.size()},
          {"truncated", read.truncated},
          {"classification", ClassificationName(s.classification)},
          {"map_calls", s.map_calls},
          {"reduce_calls", s.reduce_calls},
          {"dropped_points", s.dropped_points},
          {"injection_flags", Flags(s.flags)},
          {"language", language}};
}

}  // namespace daulat::knowledge
