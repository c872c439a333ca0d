#pragma once

#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <vector>

#include "http/api_call.h"
#include "http/api_server.h"

namespace daulat::http {

// Lumin's library over HTTP: collections, document upload (multipart),
// listing, reading, deletion and search. Every call reads as the caller:
// tenant, clearance and ACL groups filter inside the library's queries, so a
// document the caller may not see answers 404 exactly like one that does not
// exist. Parsing and indexing run off the I/O threads.
class KnowledgeApi {
 public:
  KnowledgeApi(const ApiServices& services, boost::asio::thread_pool& blocking)
      : s_(services), blocking_(blocking) {}
  void AddRoutes(std::vector<ApiRoute>& routes);

 private:
  using CallPtr = std::shared_ptr<ApiCall>;
  void ListCollections(const CallPtr& call);
  void CreateCollection(const CallPtr& call);
  void Upload(const CallPtr& call);
  void ListDocuments(const CallPtr& call);
  void GetDocument(const CallPtr& call);
  void DeleteDocument(const CallPtr& call);
  void Search(const CallPtr& call);
  void Ask(const CallPtr& call);
  // The answer from the retrieved sources (runs on the blocking pool).
  void Answer(const CallPtr& call, const std::string& question, const knowledge::SearchQuery& q,
              const std::string& model, const std::string& language, bool stream);

  ApiServices s_;
  boost::asio::thread_pool& blocking_;
};

}  // namespace daulat::http
