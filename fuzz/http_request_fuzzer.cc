// HTTP/1.1 request framing as the server reads it from a client: the input
// is written on one loopback connection to a running HttpServer (its real
// parser, limits and keep-alive/pipelining), the write side is closed, and
// the target reads until the server closes. A server that never closes a
// half-closed connection shows as a hang. Handlers answer by path: whole
// replies, event streams and chunked bodies.
#include <csignal>
#include <memory>
#include <string>

#include "fuzz_support.h"
#include "loopback_client.h"
#include "server/http_server.h"

namespace {

using daulat::server::HttpServer;

void Answer(daulat::server::Request& req, const std::shared_ptr<daulat::server::Responder>& r) {
  const std::string target(req.target());
  if (target.rfind("/events", 0) == 0) {
    r->BeginEvents();
    r->SendEvent(req.body().substr(0, 64));
    r->EndEvents();
  } else if (target.rfind("/chunks", 0) == 0) {
    r->BeginChunks(200, "text/plain");
    r->SendChunk(req.body());
    r->EndChunks();
  } else {
    r->Reply(200, "text/plain", std::to_string(req.body().size()));
  }
}

HttpServer& Server() {
  static const std::unique_ptr<HttpServer> server = [] {
    std::signal(SIGPIPE, SIG_IGN);  // the server may close before all input is written
    daulat::server::HttpServerOptions options;
    options.port = 0;
    options.io_threads = 1;
    options.max_body_bytes = size_t{64} * 1024;
    options.header_timeout = std::chrono::seconds(5);
    options.body_timeout = std::chrono::seconds(5);
    auto s = HttpServer::Start(options, Answer);
    if (!s.ok()) daulat::fuzz::PropertyFailed("the HTTP server does not start");
    return std::move(s).value();
  }();
  return *server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto exchange = daulat::fuzz::ExchangeOnLoopback(
      Server().port(), daulat::fuzz::Text(data, size), /*half_close=*/true);
  if (!exchange.connected) {
    std::fprintf(stderr, "%s\n", exchange.error.c_str());
    daulat::fuzz::PropertyFailed("cannot connect to the HTTP server");
  }
  return 0;
}
