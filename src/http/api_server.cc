#include "http/api_server.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/json_depth.h"
#include "common/random_id.h"
#include "http/assessment_api.h"
#include "http/console_assets.h"
#include "http/knowledge_api.h"
#include "http/management_api.h"
#include "http/openai_errors.h"
#include "http/openapi.h"
#include "server/local_client.h"

namespace daulat::http {

using nlohmann::json;

ApiServer::ApiServer(const ApiServices& services)
    : services_(services), models_(*services.models), pipeline_(*services.pipeline) {}

Result<std::unique_ptr<ApiServer>> ApiServer::Start(const HttpServerOptions& options,
                                                    gateway::ModelHost& models,
                                                    const gateway::Pipeline& pipeline) {
  ApiServices services;
  services.models = &models;
  services.pipeline = &pipeline;
  return Start(options, services);
}

Result<std::unique_ptr<ApiServer>> ApiServer::Start(const HttpServerOptions& options,
                                                    const ApiServices& services) {
  if (services.models == nullptr || services.pipeline == nullptr)
    return InvalidArgument("the API needs a model host and a pipeline");
  auto api = std::unique_ptr<ApiServer>(new ApiServer(services));
  if (services.generation == nullptr) {
    gateway::GenerationServiceOptions o;
    o.models = services.models;
    o.remote = services.remote;
    o.policies = services.policies;
    o.request_timeout = options.request_timeout;
    api->own_generation_ = std::make_unique<gateway::GenerationService>(std::move(o));
    api->generation_ = api->own_generation_.get();
    api->services_.generation = api->generation_;
  } else {
    api->generation_ = services.generation;
  }
  api->BuildRoutes();
  auto http =
      HttpServer::Start(options, [raw = api.get()](Request& req, std::shared_ptr<Responder> r) {
        raw->Handle(req, std::move(r));
      });
  if (!http.ok()) return http.status();
  api->http_ = std::move(http).value();
  api->ready_ = true;
  return api;
}

ApiServer::~ApiServer() {
  Shutdown(std::chrono::milliseconds(0));
}

void ApiServer::Shutdown(std::chrono::milliseconds grace,
                         const std::function<void()>& cancel_work) {
  ready_ = false;
  if (http_) http_->Shutdown(grace, cancel_work);
  if (management_) management_->Stop();
  if (knowledge_) knowledge_->Stop();
  if (assessment_) assessment_->Stop();
  blocking_.join();
}

void ApiServer::BuildRoutes() {
  using V = boost::beast::http::verb;
  using P = gateway::Permission;
  routes_ = {
      {V::get, "/metrics", P::kReadMetrics, false,
       [this](auto c) {
         c->ctx.audited = false;  // a scrape every few seconds; refusals are recorded
         c->Reply(200, "text/plain; version=0.0.4", Metrics());
       }},
      {V::get, "/v1/models", P::kListModels, false, [this](auto c) { Models(std::move(c)); }},
      {V::get, "/v1/models/{id}", P::kListModels, false, [this](auto c) { Models(std::move(c)); }},
      {V::post, "/v1/chat/completions", P::kInfer, true, [this](auto c) { Chat(std::move(c)); }},
      {V::post, "/v1/completions", P::kInfer, true, [this](auto c) { Completions(std::move(c)); }},
      {V::post, "/v1/embeddings", P::kInfer, true, [this](auto c) { Embeddings(std::move(c)); }},
      {V::get, "/api/v1/models", P::kListModels, false,
       [this](auto c) { ModelRegistry(std::move(c)); }},
      {V::get, "/api/v1/models/{id}", P::kListModels, false,
       [this](auto c) { ModelRegistry(std::move(c)); }},
  };
  if (services_.identity != nullptr) {
    management_ = std::make_unique<ManagementApi>(services_, blocking_);
    management_->AddRoutes(routes_);
  }
  if (services_.library != nullptr) {
    knowledge_ = std::make_unique<KnowledgeApi>(services_, blocking_);
    knowledge_->AddRoutes(routes_);
  }
  if (services_.assessments != nullptr) {
    assessment_ = std::make_unique<AssessmentApi>(services_, blocking_);
    assessment_->AddRoutes(routes_);
  }
}

std::vector<std::string> ApiServer::Endpoints() const {
  std::vector<std::string> out = {"GET /healthz", "GET /readyz", "GET /api/openapi.json"};
  for (const auto& r : routes_)
    out.push_back(std::string(boost::beast::http::to_string(r.method)) + " " + r.pattern);
  return out;
}

void ApiServer::Handle(Request& req, std::shared_ptr<Responder> responder) {
  namespace bhttp = boost::beast::http;
  auto call = std::make_shared<Call>(metrics_, pipeline_);
  call->responder = std::move(responder);
  const std::string target(req.target());
  const size_t qmark = target.find('?');
  const std::string path = target.substr(0, qmark);
  if (qmark != std::string::npos) call->query = target.substr(qmark + 1);
  call->ctx.route = path;
  const auto rid = req.find("X-Request-Id");
  call->ctx.request_id =
      rid != req.end() && rid->value().size() <= 128 ? std::string(rid->value()) : NewId("req-");
  const bool get = req.method() == bhttp::verb::get;

  // Health and the API description: no caller, no audit record.
  call->ctx.audited =
      !(get && (path == "/healthz" || path == "/readyz" || path == "/api/openapi.json"));
  if (path == "/healthz" && get) return call->ReplyJson(200, {{"status", "ok"}});
  if (path == "/readyz" && get) {
    return ready_ ? call->ReplyJson(200, {{"status", "ready"}})
                  : call->ReplyJson(503, {{"status", "shutting down"}});
  }
  if (path == "/api/openapi.json" && get)
    return call->Reply(200, "application/json", std::string(OpenApiDocument()));
  if (get && (path == "/" || path.rfind("/console/", 0) == 0))
    return ServeConsole(req, path, *call);

  const ApiRoute* route = nullptr;
  bool path_known = false;
  for (const auto& r : routes_) {
    std::vector<std::string> params;
    if (!MatchPattern(r.pattern, path, &params)) continue;
    path_known = true;
    call->ctx.route = r.pattern;
    if (r.method == req.method()) {
      route = &r;
      call->params = std::move(params);
      break;
    }
  }
  if (route == nullptr) {
    call->ctx.audit_action = path_known ? "method_not_allowed" : "unrouted";
    if (!path_known) {
      call->ctx.route = "unknown";
      return call->Fail(NotFound("no such endpoint: " + path.substr(0, 200)), "");
    }
    return call->ReplyJson(405,
                           ErrorBody(InvalidArgument("method not allowed on " + call->ctx.route)));
  }
  call->ctx.permission = route->permission;
  call->ctx.from_local_client = server::FromLocalClient(req, *call->responder);
  if (const auto auth = req.find(bhttp::field::authorization); auth != req.end())
    call->ctx.authorization = std::string(auth->value());
  if (const auto c = req.find("X-Daulat-Classification"); c != req.end())
    call->ctx.declared_classification = std::string(c->value());
  bool body_ok = true;
  if (route->raw_body) {
    call->raw_body = std::move(req.body());
    if (const auto ct = req.find(bhttp::field::content_type); ct != req.end())
      call->request_content_type = std::string(ct->value());
  }
  if (route->json_body) {
    // No body at all is null on /api (endpoints whose fields are all optional
    // accept it; the others say a JSON object is needed); anything else must parse.
    const bool optional_body = route->permission != gateway::Permission::kInfer;
    body_ok = !JsonNestedDeeperThan(req.body());  // before anything recurses into it
    call->body = !body_ok || (req.body().empty() && optional_body)
                     ? json(nullptr)
                     : json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
    body_ok = body_ok && !call->body.is_discarded();
  }
  // Authentication comes before any complaint about the body, so callers
  // without a key learn nothing from error messages.
  if (Status st = pipeline_.Admit(call->ctx); !st.ok()) return call->Fail(st);
  if (!body_ok)
    return call->Fail(InvalidArgument("the request body is not valid JSON, or nests deeper than " +
                                      std::to_string(kMaxJsonDepth) + " levels"));
  route->handler(call);
}

}  // namespace daulat::http
