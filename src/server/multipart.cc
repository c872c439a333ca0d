#include "server/multipart.h"

#include <algorithm>
#include <cctype>

#include "common/text_list.h"

namespace daulat::server {
namespace {

// The value of `key=` in a header's parameters (quoted or not).
std::string Param(std::string_view header, std::string_view key) {
  const std::string lower = AsciiLower(header);
  size_t pos = 0;
  while ((pos = lower.find(std::string(key) + "=", pos)) != std::string::npos) {
    const bool boundary = pos == 0 || lower[pos - 1] == ';' || lower[pos - 1] == ' ';
    pos += key.size() + 1;
    if (!boundary) continue;
    if (pos < header.size() && header[pos] == '"') {
      const size_t end = header.find('"', pos + 1);
      if (end == std::string_view::npos) return {};
      return std::string(header.substr(pos + 1, end - pos - 1));
    }
    const size_t end = header.find(';', pos);
    std::string v(
        header.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    while (!v.empty() && v.back() == ' ') v.pop_back();
    return v;
  }
  return {};
}

}  // namespace

Result<std::vector<FormPart>> ParseMultipart(std::string_view content_type, std::string_view body,
                                             size_t max_parts) {
  if (AsciiLower(content_type).rfind("multipart/form-data", 0) != 0)
    return InvalidArgument("the upload must be multipart/form-data");
  const std::string boundary = Param(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200)
    return InvalidArgument("multipart/form-data without a boundary");
  const std::string delimiter = "--" + boundary;
  size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return InvalidArgument("the multipart body has no parts");
  std::vector<FormPart> parts;
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") break;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") return InvalidArgument("malformed multipart delimiter");
    pos += 2;
    const size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos)
      return InvalidArgument("a multipart part has no headers");
    FormPart part;
    std::string_view headers = body.substr(pos, head_end - pos);
    while (!headers.empty()) {
      const size_t nl = headers.find("\r\n");
      const std::string_view line = headers.substr(0, nl);
      const size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        const std::string name = AsciiLower(line.substr(0, colon));
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (name == "content-disposition") {
          part.name = Param(value, "name");
          part.filename = Param(value, "filename");
        } else if (name == "content-type") {
          part.content_type = std::string(value);
        }
      }
      if (nl == std::string_view::npos) break;
      headers.remove_prefix(nl + 2);
    }
    const size_t data_start = head_end + 4;
    const size_t next = body.find("\r\n" + delimiter, data_start);
    if (next == std::string_view::npos)
      return InvalidArgument("a multipart part is not terminated");
    part.data = body.substr(data_start, next - data_start);
    if (part.name.empty()) return InvalidArgument("a multipart part has no name");
    parts.push_back(part);
    if (parts.size() > max_parts) return InvalidArgument("too many multipart parts");
    pos = next + 2;
  }
  return parts;
}

}  // namespace daulat::server
