#include "gateway/remote_backends.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>

namespace daulat::gateway {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

constexpr size_t kMaxReplyBytes = 32u << 20;

Status Failed(const governance::RemoteBackendConfig& b, const beast::error_code& ec,
              const std::string& doing) {
  if (ec == beast::error::timeout)
    return DeadlineExceeded("backend '" + b.name + "' did not answer in time");
  return Unavailable("backend '" + b.name + "': " + doing + ": " + ec.message());
}

// One request and its reply over a connected stream (plain or TLS).
template <class Stream>
Result<RemoteReply> Exchange(Stream& stream, const governance::RemoteBackendConfig& b,
                             bhttp::request<bhttp::string_body>& req) {
  beast::error_code ec;
  bhttp::write(stream, req, ec);
  if (ec) return Failed(b, ec, "sending the request");
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  bhttp::read(stream, buffer, parser, ec);
  if (ec) return Failed(b, ec, "a bad reply");
  return RemoteReply{parser.get().result_int(), std::move(parser.get().body())};
}

// The TLS settings for a backend: TLS 1.2 or newer, the peer's certificate
// verified against the operator's CA file (or the system's store) and
// matched to the host name in the URL.
Status Configure(ssl::context& ctx, const governance::RemoteBackendConfig& b) {
  boost::system::error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                  ec);
  if (!ec) ctx.set_verify_mode(ssl::verify_peer, ec);
  if (ec) return Unavailable("backend '" + b.name + "': cannot set up TLS: " + ec.message());
  if (b.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
  } else {
    ctx.load_verify_file(b.ca_file, ec);
  }
  if (ec)
    return Unavailable("backend '" + b.name + "': cannot load the certificates to trust (" +
                       (b.ca_file.empty() ? std::string("system store") : b.ca_file) +
                       "): " + ec.message());
  return Status::Ok();
}

}  // namespace

const governance::RemoteBackendConfig* RemoteBackends::ForModel(const std::string& model) const {
  for (const auto& b : configs_) {
    if (std::find(b.models.begin(), b.models.end(), model) != b.models.end()) return &b;
  }
  return nullptr;
}

Result<std::vector<tcp::endpoint>> RemoteBackends::Resolve(
    const governance::RemoteBackendConfig& b, const governance::Endpoint& endpoint) const {
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  const auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
  if (ec) return Unavailable("backend '" + b.name + "': cannot resolve " + endpoint.host);
  // Only the answers the operator allowed are tried: a poisoned or rebound
  // DNS answer is refused before a byte is sent.
  std::vector<tcp::endpoint> allowed;
  Status refused;
  for (const auto& r : results) {
    Status st = guard_.CheckResolved(b.name, r.endpoint().address().to_string());
    if (st.ok()) {
      allowed.push_back(r.endpoint());
    } else if (refused.ok()) {
      refused = std::move(st);
    }
  }
  if (allowed.empty())
    return refused.ok() ? Unavailable("backend '" + b.name + "': no address") : refused;
  return allowed;
}

Result<RemoteReply> RemoteBackends::Post(const governance::RemoteBackendConfig& b,
                                         const std::string& path, const std::string& body) const {
  auto endpoint = governance::ParseBackendUrl(b.url);
  if (!endpoint.ok()) return endpoint.status();
  DAULAT_RETURN_IF_ERROR(guard_.Check(b.name, endpoint->host, endpoint->port));
  auto addresses = Resolve(b, *endpoint);
  if (!addresses.ok()) return addresses.status();

  bhttp::request<bhttp::string_body> req{bhttp::verb::post, endpoint->base_path + path, 11};
  // Host as RFC 9110 writes it: IPv6 in brackets, a port that is not the scheme's own.
  std::string host =
      endpoint->host.find(':') != std::string::npos ? "[" + endpoint->host + "]" : endpoint->host;
  if (endpoint->port != (endpoint->tls ? 443 : 80)) host += ":" + std::to_string(endpoint->port);
  req.set(bhttp::field::host, host);
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::user_agent, "daulat");
  if (!b.api_key_env.empty()) {
    if (const char* key = std::getenv(b.api_key_env.c_str()); key != nullptr && *key != '\0')
      req.set(bhttp::field::authorization, std::string("Bearer ") + key);
  }
  req.body() = body;
  req.prepare_payload();

  net::io_context ioc;
  beast::error_code ec;
  if (!endpoint->tls) {
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(b.timeout_seconds));
    stream.connect(*addresses, ec);
    if (ec) return Failed(b, ec, "unreachable");
    auto reply = Exchange(stream, b, req);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return reply;
  }
  ssl::context ctx(ssl::context::tls_client);
  DAULAT_RETURN_IF_ERROR(Configure(ctx, b));
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(b.timeout_seconds));
  boost::system::error_code not_ip;
  net::ip::make_address(endpoint->host, not_ip);
  // SNI for a name; the certificate must name the host either way.
  if (not_ip && !SSL_set_tlsext_host_name(stream.native_handle(), endpoint->host.c_str()))
    return Unavailable("backend '" + b.name + "': cannot set the TLS server name");
  stream.set_verify_callback(ssl::host_name_verification(endpoint->host), ec);
  beast::get_lowest_layer(stream).connect(*addresses, ec);
  if (ec) return Failed(b, ec, "unreachable");
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) return Failed(b, ec, "TLS handshake (is its certificate trusted and for this name?)");
  auto reply = Exchange(stream, b, req);
  stream.shutdown(ec);  // the peer may just close: its error is of no interest
  return reply;
}

}  // namespace daulat::gateway
