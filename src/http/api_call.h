#pragma once

#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/log.h"
#include "gateway/pipeline.h"
#include "http/metrics.h"
#include "server/http_server.h"
#include "store/listing.h"

namespace daulat::http {

// The transport the API is served over (server/).
using server::Headers;
using server::HttpServer;
using server::HttpServerOptions;
using server::Request;
using server::Responder;

// One API request in flight: the pipeline context, the responder and the
// parsed body. Finish runs the pipeline's completion stages (audit,
// metering) exactly once, whatever path the request took. An answer leaves
// only once its audit record is written (or the operator chose to serve
// without one): Reply, ReplyJson and Send wait for it, possibly on another
// thread, and send 503 instead when the record was lost.
struct ApiCall : std::enable_shared_from_this<ApiCall> {
  using Clock = std::chrono::steady_clock;
  ApiCall(RequestMetrics& metrics, const gateway::Pipeline& pipeline)
      : metrics_(metrics), pipeline_(pipeline) {}

  gateway::RequestContext ctx;
  std::shared_ptr<Responder> responder;
  nlohmann::json body;
  std::vector<std::string> params;   // path parameters, in order ("{id}")
  std::string query;                 // raw query string
  std::string raw_body;              // routes that take uploads (not JSON)
  std::string request_content_type;  // with raw_body
  Clock::time_point started = Clock::now();

  // `then` learns whether the answer may leave (once; maybe on another thread).
  void Finish(unsigned status, gateway::Stage::Recorded then = {});
  // Before the first piece of a streamed answer: `then` learns (once, maybe
  // on another thread) whether the stream may begin; when it may not, the
  // call has already been answered with AnswerWithheld.
  void OpenStream(gateway::Stage::Recorded then);
  void ReplyJson(unsigned status, const nlohmann::json& j, Headers headers = {});
  void Reply(unsigned status, const std::string& content_type, std::string body);
  void Send(unsigned status, std::string content_type, std::string body, Headers headers);
  // The OpenAI-shaped error for `st` (also the shape on /api).
  void Fail(const Status& st, const std::string& param = "");
  // The answer (or its refusal) was already given.
  bool finished() const { return completed_.load(); }
  // A query parameter's value ("" when absent), percent-decoded.
  std::string Query(const std::string& name) const;

 private:
  RequestMetrics& metrics_;
  const gateway::Pipeline& pipeline_;
  std::atomic<bool> completed_{false};
};

// What a caller gets instead of an answer whose audit record was lost.
Status AnswerWithheld();

// Runs `fn` on `pool` for `call`. Whatever it throws is logged and
// answered as a 500 (INTERNAL): a bug in one request never ends the process
// for everyone.
template <class Pool, class Fn>
void PostFor(Pool& pool, std::shared_ptr<ApiCall> call, Fn fn) {
  boost::asio::post(pool, [call = std::move(call), fn = std::move(fn)]() mutable {
    try {
      fn();
    } catch (const std::exception& e) {
      spdlog::error("request {} failed: {}", call->ctx.request_id, e.what());
      if (!call->finished())
        call->Fail(Internal(std::string("the request failed inside the server: ") + e.what()));
    } catch (...) {
      spdlog::error("request {} failed with an unknown exception", call->ctx.request_id);
      if (!call->finished()) call->Fail(Internal("the request failed inside the server"));
    }
  });
}

// One endpoint: method, path pattern ("/api/v1/keys/{id}"), what it needs
// from the caller, whether it takes a JSON body, and its handler.
struct ApiRoute {
  boost::beast::http::verb method;
  std::string pattern;
  gateway::Permission permission;
  bool json_body = false;
  std::function<void(std::shared_ptr<ApiCall>)> handler;
  bool raw_body = false;  // keep the body as bytes (multipart uploads)
};

// A whole number from a query or path parameter: digits with an optional
// '-', within [min, max]; nullopt for anything else (empty, "1e3", overflow).
std::optional<int64_t> ParseWholeNumber(const std::string& text, int64_t min, int64_t max);

// The page a listing request asks for: ?limit= (1-1000, default 100) and
// ?after= (a previous page's next_after). nullopt once the call has been
// failed with a 400 naming the parameter.
std::optional<store::PageRequest> PageRequestOf(ApiCall& call);
// Fails a listing: a bad cursor (INVALID_ARGUMENT) names 'after'.
void FailListing(ApiCall& call, const Status& st);
// A page as the API answers it: {"object": "list", "data", "has_more",
// "first_id", "last_id", and "next_after" while has_more}. `id_field` is
// each entry's identifying field.
template <class T, class ToJsonFn>
nlohmann::json ListPage(const store::Page<T>& page, ToJsonFn to_json, const char* id_field = "id") {
  nlohmann::json data = nlohmann::json::array();
  for (const auto& item : page.items) data.push_back(to_json(item));
  nlohmann::json reply = {
      {"object", "list"},
      {"data", data},
      {"has_more", page.has_more},
      {"first_id", data.empty() ? nlohmann::json(nullptr) : data.front()[id_field]},
      {"last_id", data.empty() ? nlohmann::json(nullptr) : data.back()[id_field]}};
  if (page.has_more) reply["next_after"] = page.next_after;
  return reply;
}

// Matches a path against a pattern, collecting "{...}" segments (1-200
// characters, no '/') into `params`.
bool MatchPattern(const std::string& pattern, const std::string& path,
                  std::vector<std::string>* params);

}  // namespace daulat::http
