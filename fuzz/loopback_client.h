#pragma once

// One request on a fresh loopback connection, for the targets that fuzz a
// running server: writes everything, half-closes when asked, reads until the
// server closes. libFuzzer's timers interrupt system calls, so EINTR is
// retried here, not taken for the server's doing.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>

namespace daulat::fuzz {

struct Exchange {
  bool connected = false;
  std::string reply;
  std::string error;  // the last transport error, for a report
};

inline Exchange ExchangeOnLoopback(uint16_t port, std::string_view request, bool half_close) {
  namespace net = boost::asio;
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  boost::system::error_code ec;
  Exchange out;
  for (int attempt = 0; attempt < 3; ++attempt) {
    socket.close(ec);
    socket.connect({net::ip::make_address("127.0.0.1"), port}, ec);
    if (ec != net::error::interrupted) break;
  }
  if (ec) {
    out.error = "connect: " + ec.message();
    return out;
  }
  out.connected = true;
  size_t sent = 0;
  while (sent < request.size()) {
    const size_t n =
        socket.write_some(net::buffer(request.data() + sent, request.size() - sent), ec);
    if (ec == net::error::interrupted) continue;
    if (ec) {
      out.error = "write: " + ec.message();  // the server may close before reading it all
      break;
    }
    sent += n;
  }
  if (half_close) socket.shutdown(net::ip::tcp::socket::shutdown_send, ec);
  char buf[16384];
  for (;;) {
    const size_t n = socket.read_some(net::buffer(buf), ec);
    if (ec == net::error::interrupted) continue;
    out.reply.append(buf, n);
    if (ec) {
      if (ec != net::error::eof) out.error = "read: " + ec.message();
      break;
    }
  }
  // Closed with a reset, not TIME_WAIT: thousands of connections a minute
  // would otherwise use up the loopback's ephemeral ports.
  socket.set_option(net::socket_base::linger(true, 0), ec);
  return out;
}

}  // namespace daulat::fuzz
