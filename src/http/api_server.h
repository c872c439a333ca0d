#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "gateway/model_host.h"
#include "gateway/pipeline.h"
#include "http/http_server.h"
#include "http/metrics.h"

namespace daulat::http {

// daulat's HTTP face: the OpenAI-compatible API under /v1, and /healthz,
// /readyz, /metrics. Thin by design: each handler parses, runs the gateway
// pipeline, calls one service and serialises. The model host and pipeline
// must outlive the server.
class ApiServer {
 public:
  static Result<std::unique_ptr<ApiServer>> Start(const HttpServerOptions& options,
                                                  gateway::ModelHost& models,
                                                  const gateway::Pipeline& pipeline);
  ~ApiServer();
  uint16_t port() const { return http_->port(); }

  // Graceful stop: /readyz turns 503, no new connections; running requests
  // get up to `grace` to finish (streams included). Then `cancel_work` runs
  // (stop the schedulers without draining): cancelled streams end with an
  // error event and [DONE], whole responses with a 503.
  void Shutdown(std::chrono::milliseconds grace,
                const std::function<void()>& cancel_work = nullptr);

 private:
  ApiServer(gateway::ModelHost& models, const gateway::Pipeline& pipeline)
      : models_(models), pipeline_(pipeline) {}
  struct Call;
  void Handle(Request& req, std::shared_ptr<Responder> responder);
  void Chat(std::shared_ptr<Call> call);
  void Completions(std::shared_ptr<Call> call);
  void Embeddings(std::shared_ptr<Call> call);
  void Submit(std::shared_ptr<Call> call, gateway::HostedModel* model,
              engine::InferenceRequest request, bool stream, bool include_usage, bool chat,
              const std::string& echo, bool tools);
  void Models(std::shared_ptr<Call> call);
  // The named model, or null after answering 404.
  gateway::HostedModel* FindModel(Call& call, const std::string& name);
  engine::InferenceRequest NewInferenceRequest(const Call& call) const;
  std::string Metrics() const;

  gateway::ModelHost& models_;
  const gateway::Pipeline& pipeline_;
  RequestMetrics metrics_;
  std::chrono::seconds request_timeout_{0};
  std::atomic<bool> ready_{false};
  boost::asio::thread_pool blocking_{1};  // embeddings: keeps I/O threads free
  std::unique_ptr<HttpServer> http_;
};

}  // namespace daulat::http
