#include "store/listing.h"

#include <algorithm>
#include <charconv>

namespace daulat::store {

Status CheckPageSize(const PageRequest& request) {
  if (request.limit < 1 || request.limit > kMaxPageSize)
    return InvalidArgument("a page lists 1 to " + std::to_string(kMaxPageSize) + " entries");
  return {};
}

std::string FormatTimeCursor(const TimeCursor& cursor) {
  return std::to_string(cursor.created_at) + "." + cursor.id;
}

Result<TimeCursor> ParseTimeCursor(const std::string& text) {
  const auto refuse = [] { return InvalidArgument("'after' is not a cursor a listing gave"); };
  const size_t dot = text.find('.');
  if (dot == 0 || dot == std::string::npos || dot > 18 || text[0] < '0' || text[0] > '9')
    return refuse();
  TimeCursor cursor;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + dot, cursor.created_at);
  if (ec != std::errc() || end != text.data() + dot) return refuse();
  cursor.id = text.substr(dot + 1);
  const bool id_ok = !cursor.id.empty() && cursor.id.size() <= 128 &&
                     std::all_of(cursor.id.begin(), cursor.id.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '_' || c == '-';
                     });
  if (!id_ok) return refuse();
  return cursor;
}

}  // namespace daulat::store
