// The HTTP layer end to end on the tiny generated model: fast enough for the
// quick suite. (tests/api covers the same API with the demo model and the
// official openai clients.)
#include "http/api_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "http/openapi.h"
#include "test_database.h"
#include "tiny_model.h"

namespace daulat::http {
namespace {

namespace net = boost::asio;
using nlohmann::json;

class ApiServerTest : public ::testing::Test {
 protected:
  // Subclasses change the serving setup before the server starts.
  virtual void Configure(gateway::ModelServeConfig& config, HttpServerOptions& options) {
    (void)config;
    (void)options;
  }

  void SetUp() override {
    dir_ = testing::MakeTempDir("api");
    ASSERT_TRUE(testing::InstallTinyModel(dir_, "tiny").ok());
    testing::TinyModelSpec other;
    other.seed = 7;
    ASSERT_TRUE(testing::InstallTinyModel(dir_, "tiny-other", other).ok());
    gateway::ModelServeConfig config{"tiny", {}, true};
    config.scheduler.parallel = 2;
    config.scheduler.context_length = 1024;
    config.scheduler.threads = 1;
    HttpServerOptions options;
    options.port = 0;
    options.max_body_bytes = size_t{64} * 1024;
    Configure(config, options);
    gateway::ModelServeConfig second = config;
    second.name = "tiny-other";
    auto host = gateway::ModelHost::Load(engine::ModelRegistry(dir_), {config, second});
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(host).value();
    std::vector<std::unique_ptr<gateway::Stage>> stages;
    stages.push_back(std::make_unique<gateway::BearerTokenAuthenticator>("k"));
    pipeline_ = std::make_unique<gateway::Pipeline>(std::move(stages));
    auto api = ApiServer::Start(options, *host_, *pipeline_);
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(api).value();
  }
  void TearDown() override {
    api_->Shutdown(std::chrono::milliseconds(100));
    host_->Stop(false);
    api_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Sends raw bytes on a fresh connection and returns everything until close.
  std::string Raw(const std::string& bytes) {
    net::io_context ioc;
    net::ip::tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), api_->port()});
    net::write(s, net::buffer(bytes));
    std::string out;
    boost::system::error_code ec;
    net::read(s, net::dynamic_buffer(out), ec);
    return out;
  }
  std::string Post(const std::string& path, const std::string& body, const std::string& key = "k") {
    return Raw("POST " + path +
               " HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " + key +
               "\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  static json Body(const std::string& response) {
    return json::parse(response.substr(response.find("\r\n\r\n") + 4));
  }

  std::filesystem::path dir_;
  std::unique_ptr<gateway::ModelHost> host_;
  std::unique_ptr<gateway::Pipeline> pipeline_;
  std::unique_ptr<ApiServer> api_;
};

const char* kChat =
    R"({"model":"tiny","messages":[{"role":"user","content":"hello"}],"max_tokens":6,"temperature":0})";

TEST_F(ApiServerTest, HealthAndSeveralModelsEachWithItsOwnLoop) {
  EXPECT_NE(Raw("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").find("200 OK"),
            std::string::npos);
  const auto models = Raw(
      "GET /v1/models HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer k\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(Body(models)["data"][0]["id"], "tiny");
  EXPECT_EQ(Body(models)["data"][1]["id"], "tiny-other");
  json other = json::parse(kChat);
  other["model"] = "tiny-other";
  const auto a = Body(Post("/v1/chat/completions", kChat));
  const auto b = Body(Post("/v1/chat/completions", other.dump()));
  EXPECT_EQ(b["model"], "tiny-other");
  // Different weights, different answers: each request reached its own model.
  EXPECT_NE(a["choices"][0]["message"]["content"], b["choices"][0]["message"]["content"]);
}

TEST_F(ApiServerTest, ChatCompletionAndUsage) {
  const auto r = Post("/v1/chat/completions", kChat);
  ASSERT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  const auto j = Body(r);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["usage"]["completion_tokens"], 6);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
}

TEST_F(ApiServerTest, StreamedDeltasJoinToTheWholeAnswer) {
  const auto whole = Body(Post("/v1/chat/completions", kChat))["choices"][0]["message"]["content"]
                         .get<std::string>();
  json req = json::parse(kChat);
  req["stream"] = true;
  const auto r = Post("/v1/chat/completions", req.dump());
  ASSERT_NE(r.find("text/event-stream"), std::string::npos);
  std::string joined;
  size_t pos = 0;
  while ((pos = r.find("data: {", pos)) != std::string::npos) {
    const auto end = r.find("\n\n", pos);
    const auto chunk = json::parse(r.substr(pos + 6, end - pos - 6));
    if (!chunk["choices"].empty() && chunk["choices"][0]["delta"].contains("content")) {
      joined += chunk["choices"][0]["delta"]["content"].get<std::string>();
    }
    pos = end;
  }
  EXPECT_EQ(joined, whole);
  EXPECT_NE(r.find("data: [DONE]"), std::string::npos);
}

TEST_F(ApiServerTest, ErrorsHaveTheOpenAIShape) {
  const auto check = [&](const std::string& response, const char* status) {
    EXPECT_EQ(response.rfind(std::string("HTTP/1.1 ") + status, 0), 0u) << response;
    const auto j = Body(response);
    EXPECT_TRUE(j["error"]["message"].is_string()) << response;
  };
  check(Post("/v1/chat/completions", kChat, "wrong"), "401");
  check(Post("/v1/chat/completions", "{not json"), "400");
  check(Post("/v1/chat/completions", R"({"model":"tiny","messages":"hi"})"), "400");
  check(Post("/v1/chat/completions",
             R"({"model":"nope","messages":[{"role":"user","content":"x"}]})"),
        "404");
  check(Post("/v1/chat/completions", std::string(size_t{100} * 1024, 'x')), "413");
  check(Post("/v1/nothing", "{}"), "404");
}

TEST_F(ApiServerTest, AmbiguousFramingIsRefused) {
  const auto r =
      Raw("POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;
}

TEST_F(ApiServerTest, EmbeddingsAreNormalised) {
  const auto j = Body(Post("/v1/embeddings", R"({"model":"tiny","input":["satu","dua"]})"));
  ASSERT_EQ(j["data"].size(), 2u);
  double norm = 0;
  for (double v : j["data"][0]["embedding"]) norm += v * v;
  EXPECT_NEAR(norm, 1.0, 1e-3);
}

// One sequence, a queue of one: the third concurrent request is refused.
class QueueLimitTest : public ApiServerTest {
 protected:
  void Configure(gateway::ModelServeConfig& config, HttpServerOptions& options) override {
    config.scheduler.parallel = 1;
    config.scheduler.max_queue = 1;
    options.io_threads = 4;
  }
};

TEST_F(QueueLimitTest, FullQueueIs429WithRetryAfter) {
  const std::string slow =
      R"({"model":"tiny","messages":[{"role":"user","content":"x"}],"max_tokens":400,)"
      R"("ignore_eos":true,"temperature":0})";
  std::vector<std::string> replies(4);
  std::vector<std::thread> threads;
  for (auto& r : replies) threads.emplace_back([&] { r = Post("/v1/chat/completions", slow); });
  for (auto& t : threads) t.join();
  int refused = 0;
  for (const auto& r : replies) {
    if (r.rfind("HTTP/1.1 429", 0) == 0) {
      ++refused;
      EXPECT_NE(r.find("Retry-After: 1"), std::string::npos) << r;
      EXPECT_EQ(Body(r)["error"]["code"], "queue_full");
    } else {
      EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
    }
  }
  EXPECT_GE(refused, 1);
}

// Every endpoint the server routes is in the OpenAPI document, and every
// operation the document describes is routed.
TEST_F(ApiServerTest, TheOpenApiDocumentMatchesTheRoutes) {
  auto db = testing::OpenTestDatabase(dir_);
  auto ids = std::move(identity::IdentityStore::Open(*db)).value();
  auto policies = std::move(governance::PolicyStore::Open(*db)).value();
  auto usage = std::move(gateway::UsageMeter::Open(*db)).value();
  auto blobs = std::move(store::BlobStore::Open(dir_ / "blobs")).value();
  auto library = std::move(knowledge::Library::Open(*db, *blobs)).value();
  auto assessments = std::move(assessment::Assessments::Open(*db)).value();
  ApiServices services;
  services.library = library.get();
  services.assessments = assessments.get();
  services.models = host_.get();
  services.pipeline = pipeline_.get();
  services.identity = ids.get();
  services.policies = policies.get();
  services.usage = usage.get();
  services.db = db.get();
  HttpServerOptions options;
  options.port = 0;
  auto api = ApiServer::Start(options, services);
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  const json doc = json::parse(OpenApiDocument());
  std::set<std::string> documented;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      std::string m = method;
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(m + " " + path);
    }
  }
  const auto routed = (*api)->Endpoints();
  const std::set<std::string> routed_set(routed.begin(), routed.end());
  EXPECT_EQ(routed_set, documented);
  (*api)->Shutdown(std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace daulat::http
