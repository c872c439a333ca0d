#include "server/http_server.h"

#include <boost/asio/steady_timer.hpp>

#include "server/connection.h"

namespace daulat::server {

Status HttpServerOptions::Validate() const {
  if (io_threads < 1 || io_threads > 64) return InvalidArgument("io_threads must be 1 to 64");
  if (max_header_bytes < 1024 || max_header_bytes > (1u << 20))
    return InvalidArgument("max_header_bytes must be 1 KiB to 1 MiB");
  if (max_body_bytes < 1024 || max_body_bytes > (1u << 30))
    return InvalidArgument("max_body_bytes must be 1 KiB to 1 GiB");
  if (max_connections < 1) return InvalidArgument("max_connections must be at least 1");
  return Status::Ok();
}

HttpServer::HttpServer(const HttpServerOptions& options, Handler handler)
    : options_(options), handler_(std::move(handler)), acceptor_(net::make_strand(ioc_)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      Handler handler) {
  DAULAT_RETURN_IF_ERROR(options.Validate());
  auto server = std::unique_ptr<HttpServer>(new HttpServer(options, std::move(handler)));
  if (!options.tls_certificate_file.empty() || !options.tls_private_key_file.empty()) {
    if (options.tls_certificate_file.empty() || options.tls_private_key_file.empty()) {
      return InvalidArgument("TLS needs both a certificate and a private key file");
    }
    auto tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                     net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
    beast::error_code tls_ec;
    tls->use_certificate_chain_file(options.tls_certificate_file, tls_ec);
    if (tls_ec) {
      return FailedPrecondition("cannot use TLS certificate " + options.tls_certificate_file +
                                ": " + tls_ec.message());
    }
    tls->use_private_key_file(options.tls_private_key_file, net::ssl::context::pem, tls_ec);
    if (tls_ec) {
      return FailedPrecondition("cannot use TLS private key " + options.tls_private_key_file +
                                ": " + tls_ec.message());
    }
    server->tls_ = std::move(tls);
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(options.host, ec);
  if (ec) return InvalidArgument("'" + options.host + "' is not an IP address");
  const tcp::endpoint endpoint(address, options.port);
  auto& a = server->acceptor_;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return FailedPrecondition("cannot listen on " + options.host + ":" +
                              std::to_string(options.port) + ": " + ec.message());
  }
  server->port_ = a.local_endpoint().port();
  server->Accept();
  for (int i = 0; i < options.io_threads; ++i)
    server->threads_.emplace_back([s = server.get()] { s->ioc_.run(); });
  return server;
}

void HttpServer::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (stopping_) return;
      // Out of file descriptors (or another transient accept error): the
      // pending connection stays in the backlog; retrying at once would spin
      // a core until a descriptor frees, so wait a little first.
      auto timer = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(50));
      timer->async_wait([this, timer](beast::error_code) {
        if (!stopping_) Accept();
      });
      return;
    }
    if (stopping_) return;
    if (connections_.load() >= options_.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);  // over the limit: refuse rather than queue
    } else {
      ++connections_;
      const auto start = [this](auto conn) {
        {
          std::lock_guard lock(mu_);
          live_.remove_if([](const auto& w) { return w.expired(); });
          live_.push_back(conn);
        }
        conn->Start();
      };
      if (tls_) {
        start(std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
            *this, std::move(socket)));
      } else {
        start(std::make_shared<Connection<beast::tcp_stream>>(*this, std::move(socket)));
      }
    }
    Accept();
  });
}

void HttpServer::Shutdown(std::chrono::milliseconds grace,
                          const std::function<void()>& on_grace_expired) {
  if (stopping_.exchange(true)) return;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  {
    std::lock_guard lock(mu_);
    for (auto& w : live_) {
      if (auto c = w.lock()) c->CloseIfIdle();
    }
  }
  const auto until = std::chrono::steady_clock::now() + grace;
  const auto wait_until = [this](std::chrono::steady_clock::time_point t) {
    while (connections_.load() > 0 && std::chrono::steady_clock::now() < t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  wait_until(until);
  if (connections_.load() > 0 && on_grace_expired) {
    on_grace_expired();  // cancel the work: responses end cleanly, then we close
    wait_until(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  ioc_.stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

HttpServer::~HttpServer() {
  Shutdown(std::chrono::milliseconds(0));
}

}  // namespace daulat::server
