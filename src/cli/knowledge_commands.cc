// daulat collections | ingest | documents | search: Lumin's library on the local data folder.

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/lumin_library.h"
#include "cli/progress_bar.h"
#include "knowledge/library.h"
#include "knowledge/library_json.h"

namespace daulat::cli {
namespace {

using nlohmann::json;

struct KnowledgeFlags {
  std::string tenant = "default";
  bool json = false;
  std::string id, name, description, collection, classification, clearance = "TERBUKA", query;
  std::vector<std::string> paths, acl, groups;
  size_t top_k = 10;
  bool recursive = false;
  std::string retrieval = "auto", fusion = "relative";
};

Result<knowledge::Reader> ReaderFrom(const KnowledgeFlags& f) {
  return ParseReader(f.tenant, f.clearance, f.groups);
}

// Files named on the command line; folders are walked (with --recursive, all the way down).
std::vector<std::filesystem::path> Expand(const std::vector<std::string>& paths, bool recursive) {
  std::vector<std::filesystem::path> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      if (recursive) {
        for (const auto& e : std::filesystem::recursive_directory_iterator(p, ec))
          if (e.is_regular_file()) out.push_back(e.path());
      } else {
        for (const auto& e : std::filesystem::directory_iterator(p, ec))
          if (e.is_regular_file()) out.push_back(e.path());
      }
    } else {
      out.emplace_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

int Ingest(const GlobalOptions& g, const KnowledgeFlags& f) {
  const auto level = ParseClassification(f.classification);
  if (!level)
    return ReportError(InvalidArgument(
        "--classification is required: TERBUKA, TERHAD, SULIT, RAHSIA or RAHSIA BESAR"));
  auto o = OpenLumin(g);
  if (!o.ok()) return ReportError(o.status());
  const auto files = Expand(f.paths, f.recursive);
  if (files.empty()) return ReportError(InvalidArgument("no files to ingest"));
  ProgressBar bar("ingesting");
  json results = json::array();
  size_t added = 0, duplicates = 0, failed = 0, chunks = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    bar.Update(i, files.size());
    const auto& path = files[i];
    json r = {{"file", path.string()}};
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!in || ec) {
      r["error"] = "cannot read the file";
    } else if (size > (64u << 20)) {
      r["error"] = "larger than 64 MiB";
    } else {
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      knowledge::DocumentOptions d;
      d.collection = f.collection;
      d.source_name = path.filename().string();
      d.classification = *level;
      d.acl = f.acl;
      d.actor = CliActor();
      auto doc = o->library->AddDocument(knowledge::OperatorReader(f.tenant), bytes, d);
      if (!doc.ok()) {
        r["error"] = doc.status().message();
        if (doc.status().code() == StatusCode::kNotFound) {  // the collection: every file fails
          bar.Finish();
          return ReportError(doc.status());
        }
      } else {
        r["document"] = knowledge::ToJson(*doc);
        if (doc->duplicate) {
          ++duplicates;
        } else {
          ++added;
          chunks += static_cast<size_t>(doc->chunks);
          (void)o->admin.Record(
              f.tenant, "document_added", "document:" + doc->id,
              "version " + std::to_string(doc->version) + " of " + d.source_name + " from the CLI");
        }
      }
    }
    if (r.contains("error")) {
      ++failed;
      if (!f.json)
        std::fprintf(stderr, "daulat: %s: %s\n", path.string().c_str(),
                     r["error"].get<std::string>().c_str());
    }
    results.push_back(r);
  }
  bar.Finish();
  if (f.json) {
    std::puts(json{{"added", added},
                   {"duplicates", duplicates},
                   {"failed", failed},
                   {"chunks", chunks},
                   {"files", results}}
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  .c_str());
  } else {
    std::printf("%zu added (%zu chunks), %zu already there, %zu failed\n", added, chunks,
                duplicates, failed);
  }
  return failed > 0 ? kExitBadInput : kExitOk;
}

int Search(const GlobalOptions& g, const KnowledgeFlags& f) {
  auto reader = ReaderFrom(f);
  if (!reader.ok()) return ReportError(reader.status());
  auto o = OpenLumin(g);
  if (!o.ok()) return ReportError(o.status());
  const auto mode = knowledge::ParseRetrieval(f.retrieval);
  if (!mode) return ReportError(InvalidArgument("--retrieval is hybrid, bm25 or vector"));
  const auto fusion = knowledge::ParseFusion(f.fusion);
  if (!fusion) return ReportError(InvalidArgument("--fusion is relative or rrf"));
  auto hits = o->library->Search(*reader, {f.query, f.collection, f.top_k, *mode, *fusion});
  if (!hits.ok()) return ReportError(hits.status());
  json j = json::array();
  for (const auto& h : *hits) {
    j.push_back(knowledge::ToJson(h));
    if (!f.json)
      std::printf("%.3f  %s%s%s\n       %s\n", h.score, h.source_name.c_str(),
                  h.page > 0 ? (" p." + std::to_string(h.page)).c_str() : "",
                  h.heading_path.empty() ? "" : (" — " + h.heading_path).c_str(),
                  h.text.substr(0, 200).c_str());
  }
  if (f.json) std::puts(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return kExitOk;
}

int Collections(const GlobalOptions& g, const std::string& action, const KnowledgeFlags& f) {
  auto o = OpenLumin(g);
  if (!o.ok()) return ReportError(o.status());
  if (action == "create") {
    if (Status st = o->library->CreateCollection(f.tenant, f.id, f.name.empty() ? f.id : f.name,
                                                 f.description);
        !st.ok())
      return ReportError(st);
    (void)o->admin.Record(f.tenant, "collection_created", "collection:" + f.id, "from the CLI");
    std::printf("collection %s created\n", f.id.c_str());
    return kExitOk;
  }
  auto list = o->library->ListCollections(f.tenant);
  if (!list.ok()) return ReportError(list.status());
  json j = json::array();
  for (const auto& c : *list) {
    j.push_back({{"id", c.id},
                 {"name", c.name},
                 {"description", c.description},
                 {"documents", c.documents}});
    if (!f.json)
      std::printf("%s\t%s\t%lld documents\n", c.id.c_str(), c.name.c_str(),
                  static_cast<long long>(c.documents));
  }
  if (f.json) std::puts(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return kExitOk;
}

int Documents(const GlobalOptions& g, const std::string& action, const KnowledgeFlags& f) {
  auto reader = ReaderFrom(f);
  if (!reader.ok()) return ReportError(reader.status());
  auto o = OpenLumin(g);
  if (!o.ok()) return ReportError(o.status());
  if (action == "reindex") {
    ProgressBar bar("embedding");
    auto added = o->library->AddMissingVectors(
        f.tenant, [&bar](size_t done, size_t total) { bar.Update(done, total); });
    bar.Finish();
    if (!added.ok()) return ReportError(added.status());
    if (f.json) {
      std::puts(json{{"embedded", *added}}
                    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                    .c_str());
    } else {
      std::printf("%zu chunks embedded\n", *added);
    }
    return kExitOk;
  }
  if (action == "delete") {
    if (Status st = o->library->DeleteDocument(*reader, f.id); !st.ok()) return ReportError(st);
    (void)o->admin.Record(f.tenant, "document_deleted", "document:" + f.id,
                          "original, chunks and index entries erased (CLI)");
    std::printf("document %s deleted\n", f.id.c_str());
    return kExitOk;
  }
  auto list = store::AllPages<knowledge::DocumentInfo>([&](const store::PageRequest& page) {
    return o->library->ListDocuments(*reader, f.collection, page);
  });
  if (!list.ok()) return ReportError(list.status());
  json j = json::array();
  for (const auto& d : *list) {
    j.push_back(knowledge::ToJson(d));
    if (!f.json)
      std::printf("%s\t%s\tv%lld\t%s\t%s\n", d.id.c_str(), d.source_name.c_str(),
                  static_cast<long long>(d.version),
                  std::string(ClassificationName(d.classification)).c_str(), d.collection.c_str());
  }
  if (f.json) std::puts(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return kExitOk;
}

}  // namespace

void AddKnowledgeCommands(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto f = std::make_shared<KnowledgeFlags>();
  const auto common = [f](CLI::App* c) {
    c->add_option("--tenant", f->tenant, "Tenant (default 'default')");
    c->add_flag("--json", f->json, "Print JSON");
  };
  const auto reader = [f](CLI::App* c) {
    c->add_option("--clearance", f->clearance, "Read as this clearance (default TERBUKA)");
    c->add_option("--group", f->groups, "Read as a member of this ACL group (repeatable)");
  };
  auto* collections = app.add_subcommand("collections", "Document collections (Lumin)");
  collections->require_subcommand(1);
  auto* cc = collections->add_subcommand("create", "Create a collection");
  cc->add_option("id", f->id, "Collection id (a-z, 0-9, '-', '_')")->required();
  cc->add_option("--name", f->name, "Display name");
  cc->add_option("--description", f->description, "What it holds");
  auto* cl = collections->add_subcommand("list", "List collections");
  for (auto* c : {cc, cl}) {
    common(c);
    const std::string action = c->get_name();
    c->callback([&global, exit_code, f, action] { *exit_code = Collections(global, action, *f); });
  }

  auto* ingest = app.add_subcommand(
      "ingest", "Add documents (PDF, DOCX, PPTX, XLSX, HTML, Markdown, text, CSV) to a collection");
  ingest->add_option("paths", f->paths, "Files or folders")->required();
  ingest->add_option("--collection,-c", f->collection, "Collection id")->required();
  ingest
      ->add_option("--classification", f->classification,
                   "Label of every file: TERBUKA, TERHAD, SULIT, RAHSIA, RAHSIA BESAR")
      ->required();
  ingest->add_option("--acl", f->acl, "Only these groups may read them (repeatable)");
  ingest->add_flag("--recursive,-r", f->recursive, "Walk folders all the way down");
  common(ingest);
  ingest->callback([&global, exit_code, f] { *exit_code = Ingest(global, *f); });

  auto* documents = app.add_subcommand("documents", "List and delete documents");
  documents->require_subcommand(1);
  auto* dl = documents->add_subcommand("list", "Documents the reader may see");
  dl->add_option("--collection,-c", f->collection, "Only this collection");
  auto* dd = documents->add_subcommand("delete", "Erase a document (original, chunks, index)");
  dd->add_option("id", f->id, "Document id (doc_...)")->required();
  auto* dr = documents->add_subcommand(
      "reindex", "Embed the chunks that have no vector from the installed embedding model");
  for (auto* c : {dl, dd, dr}) {
    common(c);
    reader(c);
    const std::string action = c->get_name();
    c->callback([&global, exit_code, f, action] { *exit_code = Documents(global, action, *f); });
  }

  auto* search =
      app.add_subcommand("search", "Ranked passages for a query (hybrid: BM25 and vectors)");
  search->add_option("query", f->query, "What to look for")->required();
  search->add_option("--collection,-c", f->collection, "Only this collection");
  search->add_option("--top-k,-k", f->top_k, "How many passages (1-100)")
      ->check(CLI::Range(1, 100));
  search->add_option("--retrieval", f->retrieval,
                     "hybrid, bm25 or vector (default: hybrid with an embedding model)");
  search->add_option("--fusion", f->fusion,
                     "How hybrid merges the two: relative (scores, default) or rrf (ranks)");
  common(search);
  reader(search);
  search->callback([&global, exit_code, f] { *exit_code = Search(global, *f); });
}

}  // namespace daulat::cli
