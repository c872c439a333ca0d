#pragma once
// Internal to the HTTP server (included by connection.h only): what the
// server sees of a connection, and the Responder handed to request handlers,
// which posts everything it is asked to send to the connection's strand.

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/status.hpp>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "server/http_server.h"

namespace daulat::server {

namespace net = boost::asio;

// What responders and the server see of a connection, plain or TLS.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // On the strand; `written` runs (on the strand) once the bytes are sent.
  virtual void Write(std::string bytes, bool last, std::function<void()> written = {}) = 0;
  virtual void AddDisconnectHandler(std::function<void()> fn) = 0;  // on the strand
  virtual bool keep_alive() const = 0;
  virtual net::any_io_executor executor() = 0;
  virtual void CloseIfIdle() = 0;  // any thread
  virtual void Abort() = 0;        // on the strand: closes now, after what is queued
  virtual bool peer_is_loopback() const = 0;
  virtual const std::string& peer_address() const = 0;
};

namespace internal {

namespace bhttp = boost::beast::http;

// A response's status line and headers.
inline std::string Head(unsigned status, const Headers& headers, bool keep_alive) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " +
                     std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(status))) +
                     "\r\n";
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  head += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  head += "Server: daulat\r\n\r\n";
  return head;
}

class ConnectionResponder : public Responder,
                            public std::enable_shared_from_this<ConnectionResponder> {
 public:
  explicit ConnectionResponder(std::shared_ptr<ConnectionBase> conn)
      : conn_(std::move(conn)), exec_(conn_->executor()) {}

  void Reply(unsigned status, std::string content_type, std::string body,
             Headers headers) override {
    if (started_.exchange(true)) return;
    net::post(exec_, [conn = conn_, status, ct = std::move(content_type), body = std::move(body),
                      headers = std::move(headers)]() mutable {
      headers.emplace_back("Content-Type", ct);
      headers.emplace_back("Content-Length", std::to_string(body.size()));
      conn->Write(Head(status, headers, conn->keep_alive()) + body, true);
    });
  }
  void BeginEvents(Headers headers) override {
    if (started_.exchange(true)) return;
    net::post(exec_, [conn = conn_, headers = std::move(headers)]() mutable {
      headers.emplace_back("Content-Type", "text/event-stream");
      headers.emplace_back("Cache-Control", "no-cache");
      headers.emplace_back("Transfer-Encoding", "chunked");
      conn->Write(Head(200, headers, conn->keep_alive()), false);
    });
  }
  void SendEvent(std::string data) override {
    std::string event = "data: " + data + "\n\n";
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", event.size());
    net::post(exec_, [conn = conn_, bytes = std::string(size) + event + "\r\n"]() mutable {
      conn->Write(std::move(bytes), false);
    });
  }
  void EndEvents() override {
    net::post(exec_, [conn = conn_] { conn->Write("0\r\n\r\n", true); });
  }
  void BeginChunks(unsigned status, std::string content_type, Headers headers) override {
    if (started_.exchange(true)) return;
    net::post(exec_, [conn = conn_, status, ct = std::move(content_type),
                      headers = std::move(headers)]() mutable {
      headers.emplace_back("Content-Type", ct);
      headers.emplace_back("Transfer-Encoding", "chunked");
      conn->Write(Head(status, headers, conn->keep_alive()), false);
    });
  }
  bool SendChunk(std::string bytes, size_t max_unsent) override {
    if (bytes.empty()) return !disconnected();
    auto& flow = *flow_;
    {
      std::unique_lock lock(flow.mu);
      flow.room.wait(lock, [&] { return flow.unsent <= max_unsent || gone_->load(); });
      if (gone_->load()) return false;
      flow.unsent += bytes.size();
    }
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
    const size_t n = bytes.size();
    net::post(exec_, [conn = conn_, flow = flow_, n,
                      chunk = std::string(size) + bytes + "\r\n"]() mutable {
      conn->Write(std::move(chunk), false, [flow, n] {
        std::lock_guard lock(flow->mu);
        flow->unsent -= n;
        flow->room.notify_all();
      });
    });
    return true;
  }
  void EndChunks() override { EndEvents(); }
  void AbortChunks() override {
    net::post(exec_, [conn = conn_] { conn->Abort(); });
  }
  void OnDisconnect(std::function<void()> fn) override {
    net::post(exec_, [conn = conn_, fn = std::move(fn)]() mutable {
      conn->AddDisconnectHandler(std::move(fn));
    });
  }
  bool disconnected() const override { return gone_->load(); }
  bool peer_is_loopback() const override { return conn_->peer_is_loopback(); }
  std::string peer_address() const override { return conn_->peer_address(); }

  void Watch() {
    OnDisconnect([gone = gone_, flow = flow_] {
      std::lock_guard lock(flow->mu);
      gone->store(true);
      flow->room.notify_all();
    });
  }

 private:
  // Bytes handed to the connection and not yet sent, for SendChunk.
  struct Flow {
    std::mutex mu;
    std::condition_variable room;
    size_t unsent = 0;
  };
  std::shared_ptr<ConnectionBase> conn_;
  net::any_io_executor exec_;
  std::atomic<bool> started_{false};
  std::shared_ptr<std::atomic<bool>> gone_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<Flow> flow_ = std::make_shared<Flow>();
};

}  // namespace internal
}  // namespace daulat::server
