#include "http/console_assets.h"

#include <zlib.h>

#include <map>

#include "common/sha256.h"
#include "http/api_call.h"

namespace daulat::http {
namespace {

std::string ContentTypeOf(std::string_view path) {
  const auto dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  return "application/octet-stream";
}

// gzip (RFC 1952) at the best compression; empty when zlib fails, and the
// plain bytes are served instead.
std::string Gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

std::map<std::string, ConsoleAsset, std::less<>> BuildAssets() {
  std::map<std::string, ConsoleAsset, std::less<>> out;
  for (const auto& f : EmbeddedConsoleFiles()) {
    ConsoleAsset a;
    a.content_type = ContentTypeOf(f.path);
    a.body = f.bytes;
    a.gzip = Gzip(f.bytes);
    a.etag = "\"" + Sha256Hex(f.bytes).substr(0, 32) + "\"";
    const std::string url =
        f.path == "index.html" ? std::string("/") : "/console/" + std::string(f.path);
    out.emplace(url, std::move(a));
  }
  return out;
}

}  // namespace

const ConsoleAsset* FindConsoleAsset(std::string_view url_path) {
  static const auto kAssets = BuildAssets();
  const auto it = kAssets.find(url_path);
  return it == kAssets.end() ? nullptr : &it->second;
}

const std::vector<std::pair<std::string, std::string>>& ConsoleSecurityHeaders() {
  static const std::vector<std::pair<std::string, std::string>> kHeaders = {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
  };
  return kHeaders;
}

void ServeConsole(const Request& req, const std::string& path, ApiCall& call) {
  namespace bhttp = boost::beast::http;
  call.ctx.route = "console";
  call.ctx.audited = false;
  Headers headers(ConsoleSecurityHeaders().begin(), ConsoleSecurityHeaders().end());
  const ConsoleAsset* asset = FindConsoleAsset(path);
  if (asset == nullptr) {
    return call.Send(404, "text/plain; charset=utf-8", "not found\n", std::move(headers));
  }
  // Always revalidated (a new binary may bring new files), answered 304 when unchanged.
  headers.emplace_back("Cache-Control", "no-cache");
  headers.emplace_back("ETag", asset->etag);
  headers.emplace_back("Vary", "Accept-Encoding");
  if (const auto inm = req.find(bhttp::field::if_none_match);
      inm != req.end() && inm->value().find(asset->etag) != boost::beast::string_view::npos) {
    return call.Send(304, asset->content_type, "", std::move(headers));
  }
  const auto ae = req.find(bhttp::field::accept_encoding);
  const bool gzip = !asset->gzip.empty() && ae != req.end() &&
                    ae->value().find("gzip") != boost::beast::string_view::npos;
  if (gzip) headers.emplace_back("Content-Encoding", "gzip");
  call.Send(200, asset->content_type, gzip ? asset->gzip : std::string(asset->body),
            std::move(headers));
}

}  // namespace daulat::http
