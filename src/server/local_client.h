#pragma once

#include <string_view>

#include "server/http_server.h"

namespace daulat::server {

// "localhost", "127.0.0.1", "[::1]", each with an optional port.
bool IsLoopbackHost(std::string_view host);
// A Host header naming this server by address (an IP literal, or a
// loopback name), with an optional port: a name an attacker controls, rebound
// to this address, is none.
bool IsAddressHost(std::string_view host);
// A request a browser sent on a page's behalf: it carries Origin or the
// Fetch Metadata headers (Sec-Fetch-Site, Sec-Fetch-Mode) that browsers add
// and tools such as Prometheus do not.
bool FromBrowser(const Request& request);
// "http://localhost:8080", "https://127.0.0.1": an origin on this machine.
// "null" and every other name are foreign.
bool IsLoopbackOrigin(std::string_view origin);
// A request from a client on this machine, not a web page from elsewhere:
// a loopback peer, a Host header naming loopback (a DNS-rebound name does
// not), and no Origin header but a loopback one (a cross-site request from
// a page the operator has open carries its own origin).
bool FromLocalClient(const Request& request, const Responder& responder);

}  // namespace daulat::server
