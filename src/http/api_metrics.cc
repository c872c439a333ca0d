// ApiServer: the Prometheus exposition for /metrics.

#include "http/api_server.h"
#include "server/local_client.h"

namespace daulat::http {

std::string ApiServer::Metrics() const {
  std::string out;
  metrics_.AppendPrometheus(out);
  struct Gauge {
    const char* name;
    const char* type;
    const char* help;
    uint64_t (*get)(const engine::SchedulerStats&);
  };
  static const Gauge kGauges[] = {
      {"daulat_queue_depth", "gauge", "Requests waiting for a free sequence.",
       [](const auto& s) { return uint64_t{s.queued}; }},
      {"daulat_active_sequences", "gauge", "Sequences being generated.",
       [](const auto& s) { return uint64_t{s.active}; }},
      {"daulat_kv_cells_used", "gauge", "KV cache cells holding tokens.",
       [](const auto& s) { return uint64_t{s.kv_cells_used}; }},
      {"daulat_kv_cells_total", "gauge", "KV cache cells.",
       [](const auto& s) { return uint64_t{s.kv_cells_total}; }},
      {"daulat_generation_requests_total", "counter", "Generations finished.",
       [](const auto& s) { return s.requests_total; }},
      {"daulat_prompt_tokens_total", "counter", "Prompt tokens (tokens in).",
       [](const auto& s) { return s.prompt_tokens_total; }},
      {"daulat_prompt_tokens_reused_total", "counter",
       "Prompt tokens served from the prefix cache.",
       [](const auto& s) { return s.reused_prompt_tokens_total; }},
      {"daulat_completion_tokens_total", "counter", "Generated tokens (tokens out).",
       [](const auto& s) { return s.completion_tokens_total; }},
  };
  std::vector<std::pair<std::string, engine::SchedulerStats>> stats;
  for (const auto& m : models_.models())
    stats.emplace_back(m->installed.manifest.name, m->scheduler->stats());
  for (const auto& g : kGauges) {
    out +=
        std::string("# HELP ") + g.name + " " + g.help + "\n# TYPE " + g.name + " " + g.type + "\n";
    for (const auto& [name, s] : stats)
      out += std::string(g.name) + "{model=\"" + name + "\"} " + std::to_string(g.get(s)) + "\n";
  }
  out +=
      "# HELP daulat_http_open_connections Open client connections.\n# TYPE "
      "daulat_http_open_connections gauge\n";
  out += "daulat_http_open_connections " + std::to_string(http_ ? http_->open_connections() : 0) +
         "\n";
  return out;
}

Result<std::unique_ptr<HttpServer>> StartMetricsListener(const HttpServerOptions& options,
                                                         const ApiServer& api) {
  return HttpServer::Start(options, [&api](Request& req, const std::shared_ptr<Responder>& r) {
    // Keyless, so only for scrapers: a web page the operator has open (its
    // own name rebound to this address included) is refused.
    const auto host = req.find(boost::beast::http::field::host);
    if (server::FromBrowser(req) || host == req.end() ||
        !server::IsAddressHost(std::string_view(host->value().data(), host->value().size())))
      return r->Reply(403, "text/plain; charset=utf-8",
                      "scrape this listener by its address (Host: an IP address), not from a "
                      "browser\n");
    const bool get = req.method() == boost::beast::http::verb::get;
    if (get && req.target() == "/metrics")
      return r->Reply(200, "text/plain; version=0.0.4", api.Metrics());
    if (get && req.target() == "/healthz")
      return r->Reply(200, "application/json", R"({"status":"ok"})");
    r->Reply(404, "text/plain; charset=utf-8", "only /metrics and /healthz are served here\n");
  });
}

}  // namespace daulat::http
