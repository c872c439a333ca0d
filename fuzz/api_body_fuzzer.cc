// JSON bodies of the management API, Lumin's ask/search/summarize and the
// readiness assessments, through a whole running ApiServer as `daulat serve`
// builds it (SQLite, identity, policies, audit, library, the tiny model):
// the handlers that parse and act on each body, not a copy of their parsing.
// DAULAT_FUZZ_ROUTES picks the group: 0 management, 1 ask, 2 assessments.
// The input's first byte picks the route, the rest is the body. An internal
// error (500) is a failed property: bad input must get a 4xx.
#include <spdlog/spdlog.h>

#include <cctype>
#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "assessment/assessments.h"
#include "fuzz_support.h"
#include "gateway/generation_service.h"
#include "gateway/model_host.h"
#include "gateway/pipeline.h"
#include "gateway/stages.h"
#include "gateway/usage_meter.h"
#include "governance/audit_log.h"
#include "governance/audit_writer.h"
#include "governance/checkpoint.h"
#include "governance/policy.h"
#include "http/api_server.h"
#include "identity/identity_store.h"
#include "knowledge/conversations.h"
#include "knowledge/ingestion_jobs.h"
#include "knowledge/library.h"
#include "loopback_client.h"
#include "store/blob_store.h"
#include "store/database.h"
#include "tiny_model.h"

namespace {

using namespace daulat;

struct Route {
  const char* method;
  const char* path;  // {id}, {username}: filled with what the setup made
};

#if DAULAT_FUZZ_ROUTES == 0
const std::vector<Route> kRoutes = {
    {"POST", "/api/v1/tenants"},     {"PATCH", "/api/v1/tenants/{tenant}"},
    {"POST", "/api/v1/users"},       {"PATCH", "/api/v1/users/{username}"},
    {"POST", "/api/v1/keys"},        {"PATCH", "/api/v1/keys/{key}"},
    {"PUT", "/api/v1/policy"},       {"POST", "/api/v1/auth/login"},
    {"POST", "/api/v1/collections"}, {"POST", "/api/v1/conversations"},
};
#elif DAULAT_FUZZ_ROUTES == 1
const std::vector<Route> kRoutes = {
    {"POST", "/api/v1/ask"},
    {"POST", "/api/v1/search"},
    {"POST", "/api/v1/summarize"},
    {"POST", "/api/v1/conversations"},
};
#else
const std::vector<Route> kRoutes = {
    {"POST", "/api/v1/assessments"},
    {"PATCH", "/api/v1/assessments/{assessment}/answers"},
    {"POST", "/api/v1/assessments/{assessment}/score"},
    {"POST", "/api/v1/assessments/{assessment}/narrative"},
};
#endif

struct Reply {
  unsigned status = 0;
  std::string body;
  std::string transport;  // what the connection did, for a report
};

// Everything `daulat serve` wires together, for the life of the process.
class Service {
 public:
  Service() {
    std::signal(SIGPIPE, SIG_IGN);
    spdlog::set_level(spdlog::level::off);  // a log line per request would drown the fuzzer's
    dir_ = testing::MakeTempDir("fuzz-api");
    Must(testing::InstallTinyModel(dir_ / "models", "tiny").status(), "tiny model");
    db_ = Must(store::OpenSqlite((dir_ / "daulat.db").string()), "database");
    auto signer = Must(governance::CheckpointSigner::Generate("fuzz"), "signer");
    audit_ = Must(governance::AuditLog::Open(*db_, std::move(signer)), "audit log");
    audit_writer_ = std::make_unique<governance::AuditWriter>(*audit_);
    ids_ = Must(identity::IdentityStore::Open(*db_), "identity");
    Must(ids_->CreateTenant(gateway::kOperatorTenant, "Operator"), "tenant");
    identity::ApiKeyOptions admin;
    admin.name = "fuzz admin";
    admin.role = identity::Role::kOwner;
    admin.clearance = Classification::kRahsiaBesar;
    key_ = Must(ids_->CreateApiKey(gateway::kOperatorTenant, admin), "admin key").secret;
    policies_ = Must(governance::PolicyStore::Open(*db_), "policies");
    blobs_ = Must(store::BlobStore::Open(dir_ / "blobs"), "blobs");
    library_ = Must(knowledge::Library::Open(*db_, *blobs_), "library");
    library_->SetIndexDir(dir_ / "vectors");
    jobs_ = Must(knowledge::IngestionJobs::Open(*db_), "jobs");
    conversations_ = Must(knowledge::Conversations::Open(*db_), "conversations");
    assessments_ = Must(assessment::Assessments::Open(*db_), "assessments");
    gateway::ModelServeConfig tiny{"tiny", {}, true};
    tiny.scheduler.parallel = 2;
    tiny.scheduler.context_length = 2048;
    tiny.scheduler.threads = 1;
    host_ = Must(gateway::ModelHost::Load(engine::ModelRegistry(dir_ / "models"), {tiny}), "host");
    std::vector<std::unique_ptr<gateway::Stage>> stages;
    stages.push_back(
        std::make_unique<gateway::KeyAuthenticator>(*ids_, gateway::AnonymousAccess::kNone));
    stages.push_back(std::make_unique<gateway::Authoriser>());
    stages.push_back(std::make_unique<gateway::AuditStage>(*audit_writer_));
    pipeline_ = std::make_unique<gateway::Pipeline>(std::move(stages));
    gateway::GenerationServiceOptions generation;
    generation.models = host_.get();
    generation.defaults = {"tiny", "tiny", "tiny", "tiny"};
    generation.policies = policies_.get();
    generation_ = std::make_unique<gateway::GenerationService>(std::move(generation));
    http::ApiServices services;
    services.models = host_.get();
    services.pipeline = pipeline_.get();
    services.generation = generation_.get();
    services.identity = ids_.get();
    services.policies = policies_.get();
    services.audit = audit_.get();
    services.audit_writer = audit_writer_.get();
    services.db = db_.get();
    services.library = library_.get();
    services.jobs = jobs_.get();
    services.conversations = conversations_.get();
    services.assessments = assessments_.get();
    server::HttpServerOptions options;
    options.port = 0;
    options.max_body_bytes = size_t{256} * 1024;
    api_ = Must(http::ApiServer::Start(options, services), "server");
    MakeThingsToName();
  }

  // A request with the admin key on a fresh connection.
  Reply Send(const std::string& method, const std::string& path, std::string_view body,
             const std::string& content_type = "application/json") {
    const std::string request = method + " " + path +
                                " HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n"
                                "Authorization: Bearer " +
                                key_ + "\r\nContent-Type: " + content_type +
                                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                                std::string(body);
    const auto exchange = fuzz::ExchangeOnLoopback(api_->port(), request, /*half_close=*/false);
    if (!exchange.connected) {
      std::fprintf(stderr, "%s\n", exchange.error.c_str());
      fuzz::PropertyFailed("cannot connect to the API server");
    }
    const std::string& raw = exchange.reply;
    Reply reply;
    reply.transport = exchange.error + ", " + std::to_string(raw.size()) + " bytes";
    if (raw.rfind("HTTP/1.1 ", 0) == 0 && raw.size() >= 12 && std::isdigit(raw[9]) != 0)
      reply.status = static_cast<unsigned>(std::stoul(raw.substr(9, 3)));
    const size_t split = raw.find("\r\n\r\n");
    if (split != std::string::npos) reply.body = raw.substr(split + 4);
    return reply;
  }

  std::string Fill(std::string path) const {
    for (const auto& [name, value] : names_) {
      const std::string marker = "{" + name + "}";
      for (size_t at = path.find(marker); at != std::string::npos; at = path.find(marker))
        path.replace(at, marker.size(), value);
    }
    return path;
  }

 private:
  template <typename T>
  static T Must(Result<T> r, const char* what) {
    if (!r.ok()) {
      std::fprintf(stderr, "fuzz setup: %s: %s\n", what, r.status().ToString().c_str());
      std::abort();
    }
    return std::move(r).value();
  }
  static void Must(const Status& st, const char* what) {
    if (!st.ok()) {
      std::fprintf(stderr, "fuzz setup: %s: %s\n", what, st.ToString().c_str());
      std::abort();
    }
  }

  std::string IdFrom(const Reply& r, const char* field) {
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status >= 300 || !j.is_object() || !j.contains(field))
      fuzz::PropertyFailed(("fuzz setup: no " + std::string(field) + " in " + r.body).c_str());
    return j[field].is_string() ? j[field].get<std::string>() : j[field].dump();
  }

  // A tenant, a user, a key, a collection with a document, and an assessment
  // for the routes that name one.
  void MakeThingsToName() {
    names_["tenant"] = "fuzz-tenant";
    Send("POST", "/api/v1/tenants", R"({"id":"fuzz-tenant","name":"Fuzz"})");
    names_["username"] = "pegawai";
    Send("POST", "/api/v1/users",
         R"({"username":"pegawai","password":"kata-laluan-panjang-1","role":"member"})");
    names_["key"] = IdFrom(Send("POST", "/api/v1/keys", R"({"name":"k2","role":"member"})"), "id");
    const std::string collection = IdFrom(
        Send("POST", "/api/v1/collections", R"({"id":"pekeliling","name":"Pekeliling"})"), "id");
    const std::string boundary = "fuzzboundary";
    const std::string upload =
        "--" + boundary +
        "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"elaun.md\"\r\n"
        "Content-Type: text/markdown\r\n\r\n# Elaun\n\nElaun perjalanan ialah RM 80 sehari.\r\n--" +
        boundary + "--\r\n";
    Send("POST", "/api/v1/collections/" + collection + "/documents", upload,
         "multipart/form-data; boundary=" + boundary);
    names_["collection"] = collection;
    names_["assessment"] = IdFrom(
        Send("POST", "/api/v1/assessments", R"({"title":"Kesediaan","organisation":"JPN"})"), "id");
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<governance::AuditLog> audit_;
  std::unique_ptr<governance::AuditWriter> audit_writer_;
  std::unique_ptr<identity::IdentityStore> ids_;
  std::unique_ptr<governance::PolicyStore> policies_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<knowledge::Library> library_;
  std::unique_ptr<knowledge::IngestionJobs> jobs_;
  std::unique_ptr<knowledge::Conversations> conversations_;
  std::unique_ptr<assessment::Assessments> assessments_;
  std::unique_ptr<gateway::ModelHost> host_;
  std::unique_ptr<gateway::Pipeline> pipeline_;
  std::unique_ptr<gateway::GenerationService> generation_;
  std::unique_ptr<http::ApiServer> api_;
  std::string key_;
  std::map<std::string, std::string> names_;
};

Service& TheService() {
  static auto* service = new Service();  // lives until exit: its threads serve every input
  return *service;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheService();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Route& route = kRoutes[fuzz::TakeChoice(data, size, kRoutes.size())];
  Service& service = TheService();
  const Reply reply = service.Send(route.method, service.Fill(route.path), fuzz::Text(data, size));
  if (reply.status == 0) {
    std::fprintf(stderr, "%s %s: %s\n", route.method, route.path, reply.transport.c_str());
    fuzz::PropertyFailed("the server closed without an answer");
  }
  if (reply.status == 500) {
    std::fprintf(stderr, "%s %s -> 500 %s\n", route.method, route.path, reply.body.c_str());
    fuzz::PropertyFailed("bad input got an internal error");
  }
  return 0;
}
