#pragma once

// Paged listings: what a caller asks for and what a page holds. Every list
// that grows with use (documents, users, API keys) is read a page at a time,
// so one request never materialises a whole table.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace daulat::store {

inline constexpr size_t kDefaultPageSize = 100;
inline constexpr size_t kMaxPageSize = 1000;

struct PageRequest {
  size_t limit = kDefaultPageSize;
  // Empty for the first page, else the previous page's next_after.
  std::string after;
};

template <class T>
struct Page {
  std::vector<T> items;
  bool has_more = false;
  std::string next_after;  // set when has_more
};

// INVALID_ARGUMENT unless 1 <= limit <= kMaxPageSize.
Status CheckPageSize(const PageRequest& request);

// A cursor for lists ordered by creation time, then id: "<created_at>.<id>".
// It names a place in the order, not an entry, so deleting or changing
// entries between pages never breaks the walk.
struct TimeCursor {
  int64_t created_at = 0;
  std::string id;
};
std::string FormatTimeCursor(const TimeCursor& cursor);
// INVALID_ARGUMENT unless `text` is a cursor FormatTimeCursor could have
// written: 1-18 digits, '.', an id of 1-128 of A-Z a-z 0-9 '_' '-'.
Result<TimeCursor> ParseTimeCursor(const std::string& text);

// Keeps the first `limit` of `rows` (read with LIMIT limit + 1), noting
// whether more follow and the cursor after the last one kept.
template <class T, class CursorFn>
Page<T> PageOf(std::vector<T> rows, size_t limit, CursorFn cursor_of) {
  Page<T> page;
  page.has_more = rows.size() > limit;
  if (page.has_more) rows.resize(limit);
  page.items = std::move(rows);
  if (page.has_more) page.next_after = cursor_of(page.items.back());
  return page;
}

// Every entry of a paged listing, page after page of the largest size:
// for the command line and start-up, where the whole list is wanted.
// `list` is called with each PageRequest and returns Result<Page<T>>.
template <class T, class ListFn>
Result<std::vector<T>> AllPages(ListFn list) {
  std::vector<T> out;
  PageRequest request{kMaxPageSize, ""};
  for (bool more = true; more;) {
    Result<Page<T>> page = list(request);
    if (!page.ok()) return page.status();
    for (auto& item : page->items) out.push_back(std::move(item));
    more = page->has_more;
    request.after = page->next_after;
  }
  return out;
}

}  // namespace daulat::store
