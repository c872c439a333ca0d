#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"

namespace daulat::server {

template <class Stream>
class Connection;

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Headers = std::vector<std::pair<std::string, std::string>>;

// How a handler answers one request. Thread-safe: any thread may call it
// (scheduler threads stream tokens through it). Exactly one of Reply,
// BeginEvents...EndEvents or BeginChunks...EndChunks per request; calls
// after the client left are no-ops.
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void Reply(unsigned status, std::string content_type, std::string body,
                     Headers headers = {}) = 0;
  // A text/event-stream response; each SendEvent writes one "data: ..." event.
  virtual void BeginEvents(Headers headers = {}) = 0;
  virtual void SendEvent(std::string data) = 0;
  virtual void EndEvents() = 0;
  // A body of unknown length sent in chunks as it is made (an export):
  // BeginChunks...SendChunk...EndChunks. SendChunk blocks (call it off the
  // I/O threads) while more than `max_unsent` bytes wait for the client, so
  // a slow reader slows the producer instead of filling memory; it returns
  // false once the client has gone, and the producer should stop.
  virtual void BeginChunks(unsigned status, std::string content_type, Headers headers = {}) = 0;
  virtual bool SendChunk(std::string bytes, size_t max_unsent = size_t{1} << 20) = 0;
  virtual void EndChunks() = 0;
  // Ends a chunked body without its last chunk and closes the connection:
  // the client sees a cut-off transfer, never a complete-looking one.
  virtual void AbortChunks() = 0;
  // `fn` runs once if the client disconnects before the response is complete.
  virtual void OnDisconnect(std::function<void()> fn) = 0;
  virtual bool disconnected() const = 0;
  // The client connected from a loopback address (127.0.0.0/8, ::1).
  virtual bool peer_is_loopback() const = 0;
  // The client's IP address ("" when unknown); the TCP peer, so behind a
  // proxy it is the proxy's.
  virtual std::string peer_address() const = 0;
};

using Handler = std::function<void(Request&, std::shared_ptr<Responder>)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 = any free port (see HttpServer::port())
  int io_threads = 2;
  size_t max_header_bytes = size_t{16} * 1024;
  size_t max_body_bytes = size_t{8} * 1024 * 1024;
  size_t max_connections = 1024;
  std::chrono::seconds header_timeout{10};  // whole request head, also the keep-alive idle limit
  std::chrono::seconds body_timeout{30};
  std::chrono::seconds write_timeout{30};  // one write to a client that stopped reading
  // A generation still running this long after its request arrived is ended
  // (504, or an error event on a stream). 0 = no limit.
  std::chrono::seconds request_timeout{600};
  // HTTPS when both are set: PEM files, read once at start.
  std::string tls_certificate_file;
  std::string tls_private_key_file;

  Status Validate() const;
};

// HTTP/1.1 server on Boost.Beast: keep-alive, pipelining (answered in order),
// limits and timeouts on every phase so a slow or hostile client only ever
// holds its own connection. Framing errors (Content-Length with
// Transfer-Encoding, bad chunks, oversize heads or bodies) close the
// connection after a 4xx.
class HttpServer {
 public:
  // Binds and listens; FAILED_PRECONDITION when the address is unusable.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   Handler handler);
  ~HttpServer();
  uint16_t port() const { return port_; }
  size_t open_connections() const { return connections_.load(); }
  // Stops accepting, closes idle connections, and waits up to `grace` for
  // responses in progress to finish. Then `on_grace_expired` (if any) runs so
  // the owner can cancel the work behind them, responses get one more second
  // to end cleanly, and whatever is left is closed.
  void Shutdown(std::chrono::milliseconds grace,
                const std::function<void()>& on_grace_expired = nullptr);

 private:
  HttpServer(const HttpServerOptions& options, Handler handler);
  void Accept();

  HttpServerOptions options_;
  Handler handler_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<size_t> connections_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::unique_ptr<boost::asio::ssl::context> tls_;       // set when serving HTTPS
  std::list<std::weak_ptr<class ConnectionBase>> live_;  // GUARDED_BY(mu_)
  template <class Stream>
  friend class Connection;
};

}  // namespace daulat::server
