#include "gateway/remote_backends.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>

namespace daulat::gateway {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

constexpr size_t kMaxReplyBytes = 32u << 20;

}  // namespace

const governance::RemoteBackendConfig* RemoteBackends::ForModel(const std::string& model) const {
  for (const auto& b : configs_) {
    if (std::find(b.models.begin(), b.models.end(), model) != b.models.end()) return &b;
  }
  return nullptr;
}

Result<RemoteReply> RemoteBackends::Post(const governance::RemoteBackendConfig& b,
                                         const std::string& path, const std::string& body) const {
  auto endpoint = governance::ParseBackendUrl(b.url);
  if (!endpoint.ok()) return endpoint.status();
  DAULAT_RETURN_IF_ERROR(guard_.Check(b.name, endpoint->host, endpoint->port));
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(b.timeout_seconds));
  beast::error_code ec;
  net::ip::tcp::resolver resolver(ioc);
  const auto addresses = resolver.resolve(endpoint->host, std::to_string(endpoint->port), ec);
  if (ec) return Unavailable("backend '" + b.name + "': cannot resolve " + endpoint->host);
  stream.connect(addresses, ec);
  if (ec) return Unavailable("backend '" + b.name + "' is unreachable: " + ec.message());
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, endpoint->base_path + path, 11};
  req.set(bhttp::field::host, endpoint->host);
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::user_agent, "daulat");
  if (!b.api_key_env.empty()) {
    if (const char* key = std::getenv(b.api_key_env.c_str()); key != nullptr && *key != '\0')
      req.set(bhttp::field::authorization, std::string("Bearer ") + key);
  }
  req.body() = body;
  req.prepare_payload();
  bhttp::write(stream, req, ec);
  if (ec == beast::error::timeout)
    return DeadlineExceeded("backend '" + b.name + "' did not answer in time");
  if (ec) return Unavailable("backend '" + b.name + "': " + ec.message());
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  bhttp::read(stream, buffer, parser, ec);
  if (ec == beast::error::timeout)
    return DeadlineExceeded("backend '" + b.name + "' did not answer in time");
  if (ec) return Unavailable("backend '" + b.name + "' sent a bad reply: " + ec.message());
  beast::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  return RemoteReply{parser.get().result_int(), std::move(parser.get().body())};
}

}  // namespace daulat::gateway
