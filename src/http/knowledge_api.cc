#include "http/knowledge_api.h"

#include <boost/asio/post.hpp>

#include "common/clock.h"
#include "common/sha256.h"
#include "common/text_list.h"
#include "http/openai_errors.h"
#include "http/request_fields.h"
#include "knowledge/library_json.h"
#include "server/multipart.h"

namespace daulat::http {

using nlohmann::json;

knowledge::Reader ReaderOf(const ApiCall& call) {
  const auto& p = call.ctx.caller.principal;
  return {p.tenant_id, p.clearance, p.groups};
}

void KnowledgeApi::AddRoutes(std::vector<ApiRoute>& routes) {
  using V = boost::beast::http::verb;
  using P = gateway::Permission;
  const auto bind = [this](void (KnowledgeApi::*fn)(const CallPtr&)) {
    return [this, fn](const CallPtr& c) { (this->*fn)(c); };
  };
  routes.push_back({V::get, "/api/v1/collections", P::kReadDocuments, false,
                    bind(&KnowledgeApi::ListCollections)});
  routes.push_back({V::post, "/api/v1/collections", P::kManageCollections, true,
                    bind(&KnowledgeApi::CreateCollection)});
  ApiRoute upload{V::post, "/api/v1/collections/{id}/documents", P::kManageDocuments, false,
                  bind(&KnowledgeApi::Upload)};
  upload.raw_body = true;
  routes.push_back(upload);
  routes.push_back(
      {V::get, "/api/v1/jobs", P::kManageDocuments, false, bind(&KnowledgeApi::ListJobs)});
  routes.push_back(
      {V::get, "/api/v1/jobs/{id}", P::kManageDocuments, false, bind(&KnowledgeApi::GetJob)});
  routes.push_back(
      {V::get, "/api/v1/documents", P::kReadDocuments, false, bind(&KnowledgeApi::ListDocuments)});
  routes.push_back({V::get, "/api/v1/documents/{id}", P::kReadDocuments, false,
                    bind(&KnowledgeApi::GetDocument)});
  routes.push_back({V::delete_, "/api/v1/documents/{id}", P::kManageDocuments, false,
                    bind(&KnowledgeApi::DeleteDocument)});
  routes.push_back({V::get, "/api/v1/documents/{id}/passages", P::kReadDocuments, false,
                    bind(&KnowledgeApi::DocumentPassages)});
  routes.push_back(
      {V::post, "/api/v1/search", P::kReadDocuments, true, bind(&KnowledgeApi::Search)});
  routes.push_back({V::post, "/api/v1/ask", P::kReadDocuments, true, bind(&KnowledgeApi::Ask)});
  routes.push_back(
      {V::post, "/api/v1/summarize", P::kReadDocuments, true, bind(&KnowledgeApi::Summarize)});
  routes.push_back({V::get, "/api/v1/conversations", P::kReadDocuments, false,
                    bind(&KnowledgeApi::ListConversations)});
  routes.push_back({V::post, "/api/v1/conversations", P::kReadDocuments, true,
                    bind(&KnowledgeApi::CreateConversation)});
  routes.push_back({V::get, "/api/v1/conversations/{id}", P::kReadDocuments, false,
                    bind(&KnowledgeApi::GetConversation)});
  routes.push_back({V::delete_, "/api/v1/conversations/{id}", P::kReadDocuments, false,
                    bind(&KnowledgeApi::DeleteConversation)});
}

void KnowledgeApi::ListCollections(const CallPtr& call) {
  call->ctx.audit_action = "collections_read";
  auto list = s_.library->ListCollections(call->ctx.caller.principal.tenant_id);
  if (!list.ok()) return call->Fail(list.status());
  json data = json::array();
  for (const auto& c : *list) data.push_back(knowledge::ToJson(c));
  call->ReplyJson(200, {{"object", "list"}, {"data", data}});
}

void KnowledgeApi::CreateCollection(const CallPtr& call) {
  RequestFields f(call->body, {"id", "name", "description"});
  const auto id = f.String("id", true, 64);
  const auto name = f.String("name", false, 200);
  const auto description = f.String("description", false, 2000);
  if (!f.status().ok()) return call->Fail(f.status());
  call->ctx.audit_action = "collection_created";
  call->ctx.resource = "collection:" + *id;
  if (Status st = s_.library->CreateCollection(call->ctx.caller.principal.tenant_id, *id,
                                               name.value_or(*id), description.value_or(""));
      !st.ok())
    return call->Fail(st);
  call->ReplyJson(201, knowledge::ToJson(knowledge::CollectionInfo{
                           *id, name.value_or(*id), description.value_or(""), UnixSeconds(), 0}));
}

void KnowledgeApi::Upload(const CallPtr& call) {
  call->ctx.audit_action = "document_added";
  auto parts = server::ParseMultipart(call->request_content_type, call->raw_body);
  if (!parts.ok()) return call->Fail(parts.status());
  std::vector<const server::FormPart*> files;
  knowledge::DocumentOptions o;
  o.collection = call->params.at(0);
  std::string classification;
  for (const auto& p : *parts) {
    if (p.name == "file") {
      if (p.filename.empty())
        return call->Fail(InvalidArgument("every 'file' field needs a file name"), "file");
      files.push_back(&p);
    } else if (p.name == "classification") {
      classification = std::string(p.data);
    } else if (p.name == "acl") {
      for (auto& g : SplitList(p.data)) o.acl.push_back(std::move(g));
    } else if (p.name == "title") {
      o.title = std::string(p.data.substr(0, 500));
    } else if (p.name == "language") {
      o.language = std::string(p.data.substr(0, 64));
      if (!knowledge::IsLanguageTag(o.language))
        return call->Fail(InvalidArgument(knowledge::kLanguageTagRule), "language");
    } else {
      return call->Fail(InvalidArgument("unknown form field '" + p.name.substr(0, 64) +
                                        "' (known: file, classification, acl, title, language)"));
    }
  }
  if (files.empty())
    return call->Fail(InvalidArgument("the form needs a 'file' field with a file name"), "file");
  const auto level = ParseClassification(classification);
  if (!level)
    return call->Fail(InvalidArgument("'classification' is required: TERBUKA, TERHAD, SULIT, "
                                      "RAHSIA or RAHSIA BESAR"),
                      "classification");
  const std::string async = call->Query("async");
  if (!async.empty() && async != "true" && async != "false")
    return call->Fail(InvalidArgument("'async' is true or false"), "async");
  o.classification = *level;
  o.actor = call->ctx.caller.principal.subject;
  if (Status st = knowledge::Library::MayUpload(ReaderOf(*call), o); !st.ok())
    return call->Fail(st);
  call->ctx.classified = true;
  call->ctx.classification = *level;
  if (files.size() > 1 || async == "true") {
    if (files.size() > 1 && !o.title.empty())
      return call->Fail(InvalidArgument("'title' names one file: upload several without it"),
                        "title");
    std::vector<std::pair<std::string, std::string>> named;
    for (const auto* f : files)
      named.emplace_back(f->filename.substr(0, 512), std::string(f->data));
    return StartJob(call, o, std::move(named));
  }
  o.source_name = files[0]->filename.substr(0, 512);
  const size_t bytes = files[0]->data.size();
  if (upload_bytes_.fetch_add(bytes) + bytes > kMaxQueuedBytes) {
    upload_bytes_ -= bytes;
    return call->Fail(ResourceExhausted("too many uploads are being read: retry shortly"));
  }
  PostFor(uploads_, call, [this, call, o, bytes, data = std::string(files[0]->data)] {
    struct Release {
      std::atomic<size_t>& counter;
      size_t n;
      ~Release() { counter -= n; }
    } release{upload_bytes_, bytes};
    auto doc = s_.library->AddDocument(ReaderOf(*call), data, o);
    if (!doc.ok()) return call->Fail(doc.status());
    call->ctx.resource = "document:" + doc->id;
    call->ctx.decision_reason = (doc->duplicate ? "already present as version " : "version ") +
                                std::to_string(doc->version) + ", " + std::to_string(doc->chunks) +
                                " chunks, " + doc->content_hash;
    call->ReplyJson(doc->duplicate ? 200 : 201, knowledge::ToJson(*doc));
  });
}

void KnowledgeApi::ListDocuments(const CallPtr& call) {
  call->ctx.audit_action = "documents_read";
  const auto page = PageRequestOf(*call);
  if (!page) return;
  PostFor(blocking_, call, [this, call, page = *page] {
    auto listed = s_.library->ListDocuments(ReaderOf(*call), call->Query("collection"), page);
    if (!listed.ok()) return FailListing(*call, listed.status());
    call->ReplyJson(200, ListPage(*listed, [](const auto& d) { return knowledge::ToJson(d); }));
  });
}

void KnowledgeApi::GetDocument(const CallPtr& call) {
  call->ctx.audit_action = "document_read";
  call->ctx.resource = "document:" + call->params.at(0);
  auto d = s_.library->GetDocument(ReaderOf(*call), call->params.at(0));
  if (!d.ok()) return call->Fail(d.status());
  call->ReplyJson(200, knowledge::ToJson(*d));
}

// The document's text as the reader may read it: its passages in order,
// each with page, heading path and offsets (what citations point into).
void KnowledgeApi::DocumentPassages(const CallPtr& call) {
  call->ctx.audit_action = "document_read";
  call->ctx.resource = "document:" + call->params.at(0);
  const std::string limit_text = call->Query("limit");
  const auto limit = limit_text.empty() ? int64_t{400} : ParseWholeNumber(limit_text, 1, 2000);
  if (!limit) return call->Fail(InvalidArgument("'limit' must be from 1 to 2000"), "limit");
  knowledge::PassageScope scope;
  scope.document_id = call->params.at(0);
  scope.max_passages = static_cast<size_t>(*limit);
  PostFor(blocking_, call, [this, call, scope] {
    auto read = s_.library->PassagesOf(ReaderOf(*call), scope);
    if (!read.ok()) return call->Fail(read.status());
    json data = json::array();
    for (const auto& h : read->passages) {
      json j = knowledge::ToJson(h);
      j.erase("score");
      j["object"] = "document.passage";
      data.push_back(std::move(j));
    }
    call->ReplyJson(200, {{"object", "list"},
                          {"document_id", scope.document_id},
                          {"data", data},
                          {"truncated", read->truncated}});
  });
}

void KnowledgeApi::DeleteDocument(const CallPtr& call) {
  call->ctx.audit_action = "document_deleted";
  call->ctx.resource = "document:" + call->params.at(0);
  PostFor(blocking_, call, [this, call] {
    if (Status st = s_.library->DeleteDocument(ReaderOf(*call), call->params.at(0)); !st.ok())
      return call->Fail(st);
    call->ctx.decision_reason =
        "original, chunks, index entries, answers and job entries drawn from it erased";
    call->ReplyJson(200, {{"id", call->params.at(0)}, {"deleted", true}});
  });
}

void KnowledgeApi::Search(const CallPtr& call) {
  RequestFields f(call->body, {"query", "collection", "top_k", "retrieval", "fusion"});
  const auto query = f.String("query", true, 4000);
  const auto collection = f.String("collection", false, 64);
  const auto top_k = f.Int("top_k", 1, 100);
  const auto retrieval = f.String("retrieval", false, 16);
  const auto fusion = f.String("fusion", false, 16);
  if (!f.status().ok()) return call->Fail(f.status());
  knowledge::SearchQuery q{*query, collection.value_or(""),
                           static_cast<size_t>(top_k.value_or(10))};
  if (retrieval) {
    const auto mode = knowledge::ParseRetrieval(*retrieval);
    if (!mode)
      return call->Fail(InvalidArgument("'retrieval' is \"hybrid\", \"bm25\" or \"vector\""),
                        "retrieval");
    q.retrieval = *mode;
  }
  if (fusion) {
    const auto how = knowledge::ParseFusion(*fusion);
    if (!how) return call->Fail(InvalidArgument("'fusion' is \"relative\" or \"rrf\""), "fusion");
    q.fusion = *how;
  }
  call->ctx.audit_action = "search";
  PostFor(blocking_, call, [this, call, q] {
    auto hits = s_.library->Search(ReaderOf(*call), q);
    if (!hits.ok())
      return call->Fail(
          hits.status(),
          hits.status().message().find("embedding model") != std::string::npos ? "retrieval" : "");
    json data = json::array();
    for (const auto& h : *hits) data.push_back(knowledge::ToJson(h));
    call->ctx.decision_reason = std::to_string(hits->size()) + " passages";
    if (s_.query_fingerprints != nullptr)
      call->ctx.decision_reason +=
          ", query " + s_.query_fingerprints->Of(call->ctx.caller.principal.tenant_id, q.text);
    const std::string used = s_.library->RetrievalFor(q.retrieval);
    json reply = {{"object", "list"}, {"data", data}, {"retrieval", used}};
    if (s_.library->retrieval() == "bm25")
      reply["note"] = "no embedding model installed: text (BM25) retrieval only";
    call->ReplyJson(200, reply);
  });
}

}  // namespace daulat::http
