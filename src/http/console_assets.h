#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/http_server.h"

namespace daulat::http {

// A file of the web console as built into the binary (console/ in the source tree).
struct EmbeddedFile {
  std::string_view path;  // relative to console/, e.g. "js/app.js"
  std::string_view bytes;
};
const std::vector<EmbeddedFile>& EmbeddedConsoleFiles();

// One console file ready to serve: its type, the bytes, the same bytes
// gzip-compressed (for clients that accept it) and a strong ETag.
struct ConsoleAsset {
  std::string content_type;
  std::string_view body;
  std::string gzip;
  std::string etag;  // quoted, from the content's SHA-256
};

// The asset served at `url_path` ("/" is the console's index.html, other files
// live under "/console/"), or nullptr. Built once, on first use; thread-safe.
const ConsoleAsset* FindConsoleAsset(std::string_view url_path);

// Headers every console response carries: a Content-Security-Policy that
// allows nothing but the server's own origin (no inline script, no CDN, no
// framing), and the usual hardening headers.
const std::vector<std::pair<std::string, std::string>>& ConsoleSecurityHeaders();

struct ApiCall;
// Answers a GET for "/" or "/console/...": the file with the security
// headers, gzip when accepted, 304 for a matching If-None-Match, else 404.
void ServeConsole(const server::Request& req, const std::string& path, ApiCall& call);

}  // namespace daulat::http
