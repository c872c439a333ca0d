#pragma once
// Internal to the HTTP server (included by http_server.cc only): one client
// connection, plain or TLS.

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <type_traits>

#include "common/log.h"
#include "server/connection_responder.h"
#include "server/http_server.h"

namespace daulat::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using internal::ConnectionResponder;
using internal::Head;

namespace {

std::string ErrorJson(const std::string& message, const std::string& type) {
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return R"({"error":{"message":")" + escaped + R"(","type":")" + type +
         R"(","param":null,"code":null}})";
}

}  // namespace

// One connection over `Stream` (beast::tcp_stream, or an ssl_stream over
// one). All state is touched only on its strand.
template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Connection(HttpServer& server, tcp::socket socket)
      : server_(server),
        peer_is_loopback_(IsLoopbackPeer(socket)),
        peer_address_(PeerAddress(socket)),
        stream_(MakeStream(server, std::move(socket))) {}
  bool peer_is_loopback() const override { return peer_is_loopback_; }
  const std::string& peer_address() const override { return peer_address_; }
  ~Connection() override { --server_.connections_; }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Tcp().expires_after(self->server_.options_.header_timeout);
        self->stream_.async_handshake(net::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->Close();  // not TLS, or a bad handshake: nothing to answer
          self->ReadHeader();
        });
      } else {
        self->ReadHeader();
      }
    });
  }
  // Called on shutdown: an idle connection closes now, a busy one after its response.
  void CloseIfIdle() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->close_after_response_ = true;
      if (!self->responding_) self->Close();
    });
  }

  void Abort() override {
    close_after_response_ = true;
    keep_alive_ = false;
    if (writes_.empty()) return Close();
    writes_.back().second = [self = this->shared_from_this(),
                             then = std::move(writes_.back().second)] {
      if (then) then();
      self->Close();
    };
  }

  // The Responder methods post here.
  void Write(std::string bytes, bool last, std::function<void()> written = {}) override {
    if (closed_) return;
    writes_.emplace_back(std::move(bytes), std::move(written));
    if (last) response_complete_ = true;
    if (!writing_) DoWrite();
  }
  void AddDisconnectHandler(std::function<void()> fn) override {
    if (closed_ && responding_) {
      fn();
      return;
    }
    on_disconnect_.push_back(std::move(fn));
  }
  bool keep_alive() const override { return keep_alive_; }
  net::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  static Stream MakeStream(HttpServer& server, tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(beast::tcp_stream(std::move(socket)), *server.tls_);
    } else {
      return Stream(std::move(socket));
    }
  }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void ReadHeader() {
    if (server_.stopping_ || close_after_response_) return Close();
    // No read is pending here (a disconnect watch has ended), so the buffer
    // may move; it keeps any pipelined bytes.
    if (buffer_.capacity() > kIdleBufferBytes) buffer_.shrink_to_fit();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.options_.max_header_bytes));
    parser_->body_limit(server_.options_.max_body_bytes);
    Tcp().expires_after(server_.options_.header_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return FailRead(ec);
    auto& req = parser_->get();
    const auto te = req.find(bhttp::field::transfer_encoding);
    if (te != req.end() && !parser_->chunked()) {
      return RejectAndClose(501, "unsupported Transfer-Encoding (only chunked is accepted)",
                            "invalid_request_error");
    }
    if (const auto len = parser_->content_length(); len && *len > server_.options_.max_body_bytes) {
      return RejectAndClose(413,
                            "request body of " + std::to_string(*len) +
                                " bytes exceeds the limit of " +
                                std::to_string(server_.options_.max_body_bytes),
                            "invalid_request_error");
    }
    Tcp().expires_after(server_.options_.body_timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code e, size_t) { self->OnBody(e); });
  }

  void OnBody(beast::error_code ec) {
    if (ec) return FailRead(ec);
    Tcp().expires_never();
    request_ = parser_->release();
    keep_alive_ = request_.keep_alive() && !server_.stopping_;
    responding_ = true;
    response_complete_ = false;
    WatchForDisconnect();
    auto responder = MakeResponder();
    try {
      server_.handler_(request_, responder);
    } catch (const std::exception& e) {
      spdlog::error("handler threw: {}", e.what());
      responder->Reply(500, "application/json", ErrorJson("internal error", "server_error"));
    }
  }

  // While a response is produced, a read on the raw socket notices a client
  // that goes away (or holds pipelined bytes for the next request).
  void WatchForDisconnect() {
    // Over TLS a raw read would break the record stream; a client that left
    // is noticed at the next write instead.
    if constexpr (kTls) return;
    if (watching_ ||
        buffer_.size() > server_.options_.max_header_bytes + server_.options_.max_body_bytes)
      return;
    watching_ = true;
    auto buf = buffer_.prepare(4096);
    Tcp().socket().async_read_some(
        buf, net::bind_executor(stream_.get_executor(), [self = this->shared_from_this()](
                                                            beast::error_code ec, size_t n) {
          self->watching_ = false;
          if (!ec) {
            self->buffer_.commit(n);
            if (self->responding_) return self->WatchForDisconnect();
            self->resume_after_watch_ = false;
            self->ReadHeader();
            return;
          }
          if (ec == net::error::operation_aborted && self->resume_after_watch_) {
            self->resume_after_watch_ = false;
            self->ReadHeader();
            return;
          }
          self->Close();
        }));
  }

  void DoWrite() {
    writing_ = true;
    Tcp().expires_after(server_.options_.write_timeout);
    net::async_write(stream_, net::buffer(writes_.front().first),
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec) return self->Close();
                       if (self->writes_.front().second) self->writes_.front().second();
                       self->writes_.pop_front();
                       if (!self->writes_.empty()) return self->DoWrite();
                       self->Tcp().expires_never();
                       if (self->responding_ && self->response_complete_) self->OnResponseDone();
                     });
  }

  void OnResponseDone() {
    responding_ = false;
    on_disconnect_.clear();
    // An idle keep-alive connection holds no request body and no large read
    // buffer: a thousand idle connections after large uploads would
    // otherwise each keep their last one.
    request_ = Request{};
    if (linger_) return Linger();
    if (!keep_alive_ || close_after_response_ || server_.stopping_) return Close();
    if (watching_) {
      resume_after_watch_ = true;
      beast::error_code ignored;
      Tcp().socket().cancel(ignored);  // the watch's handler then reads the next request
      return;
    }
    ReadHeader();
  }

  void FailRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      return Close();
    }
    if (ec == bhttp::error::header_limit)
      return RejectAndClose(431, "request header too large", "invalid_request_error");
    if (ec == bhttp::error::body_limit) {
      return RejectAndClose(413,
                            "request body exceeds the limit of " +
                                std::to_string(server_.options_.max_body_bytes) + " bytes",
                            "invalid_request_error");
    }
    RejectAndClose(400, "malformed HTTP request: " + ec.message(), "invalid_request_error");
  }

  // After an early error reply the client may still be sending its body: read
  // and discard it for a moment (a "lingering close") so that the client gets
  // to read our answer instead of a connection reset.
  void Linger() {
    if constexpr (kTls) return Close();
    beast::error_code ignored;
    if (!linger_started_) {
      linger_started_ = true;
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      Tcp().expires_after(std::chrono::seconds(2));  // for the whole linger, not per read
    }
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(65536),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > (64u << 20)) return self->Close();
                              self->Linger();
                            });
  }

  void RejectAndClose(unsigned status, const std::string& message, const std::string& type) {
    keep_alive_ = false;
    linger_ = true;
    responding_ = true;
    const std::string body = ErrorJson(message, type);
    Write(Head(status,
               {{"Content-Type", "application/json"},
                {"Content-Length", std::to_string(body.size())}},
               false) +
              body,
          true);
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    auto handlers = std::move(on_disconnect_);
    on_disconnect_.clear();
    for (auto& fn : handlers) fn();
    beast::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Tcp().close();
  }

  std::shared_ptr<Responder> MakeResponder();

  // The peer's IP address, an IPv4 peer on a dual-stack socket (::ffff:a.b.c.d)
  // as IPv4; nullopt when the socket has none.
  static std::optional<net::ip::address> PeerIp(const tcp::socket& socket) {
    beast::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec) return std::nullopt;
    const auto a = peer.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped())
      return net::ip::address(net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()));
    return a;
  }
  static bool IsLoopbackPeer(const tcp::socket& socket) {
    const auto a = PeerIp(socket);
    return a && a->is_loopback();
  }
  static std::string PeerAddress(const tcp::socket& socket) {
    const auto a = PeerIp(socket);
    return a ? a->to_string() : std::string();
  }

  static constexpr size_t kIdleBufferBytes = 16384;

  HttpServer& server_;
  const bool peer_is_loopback_;
  const std::string peer_address_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Request request_;
  std::deque<std::pair<std::string, std::function<void()>>> writes_;
  std::vector<std::function<void()>> on_disconnect_;
  bool keep_alive_ = true;
  bool writing_ = false;
  bool watching_ = false;
  bool resume_after_watch_ = false;
  bool responding_ = false;
  bool response_complete_ = false;
  bool close_after_response_ = false;
  bool closed_ = false;
  bool linger_ = false;
  bool linger_started_ = false;
  size_t lingered_ = 0;
};

template <class Stream>
std::shared_ptr<Responder> Connection<Stream>::MakeResponder() {
  auto r = std::make_shared<ConnectionResponder>(this->shared_from_this());
  r->Watch();
  return r;
}

}  // namespace daulat::server
