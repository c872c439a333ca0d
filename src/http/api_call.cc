#include "http/api_call.h"

#include <charconv>

#include "http/openai_errors.h"

namespace daulat::http {

std::optional<int64_t> ParseWholeNumber(const std::string& text, int64_t min, int64_t max) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v < min || v > max) return std::nullopt;
  return v;
}

std::optional<store::PageRequest> PageRequestOf(ApiCall& call) {
  store::PageRequest page;
  const std::string limit = call.Query("limit");
  if (!limit.empty()) {
    const auto n = ParseWholeNumber(limit, 1, static_cast<int64_t>(store::kMaxPageSize));
    if (!n) {
      call.Fail(InvalidArgument("'limit' must be from 1 to " + std::to_string(store::kMaxPageSize)),
                "limit");
      return std::nullopt;
    }
    page.limit = static_cast<size_t>(*n);
  }
  page.after = call.Query("after");
  return page;
}

void FailListing(ApiCall& call, const Status& st) {
  call.Fail(st, st.code() == StatusCode::kInvalidArgument ? "after" : "");
}

Status AnswerWithheld() {
  return Unavailable(
      "the audit record of this request could not be written, so its answer is withheld");
}

void ApiCall::Finish(unsigned status, gateway::Stage::Recorded then) {
  if (completed_.exchange(true)) {
    if (then) then(true);  // recorded the first time; the responder sends only once
    return;
  }
  ctx.http_status = status;
  ctx.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  metrics_.Observe(ctx.route, status, ctx.duration_ms / 1000.0);
  pipeline_.Complete(ctx, std::move(then));
}

void ApiCall::OpenStream(gateway::Stage::Recorded then) {
  pipeline_.OpenStream(ctx, [self = shared_from_this(), then = std::move(then)](bool recorded) {
    if (!recorded) self->Fail(AnswerWithheld());
    then(recorded);
  });
}

// Finish (audit, metering) runs before the answer is handed to the
// connection, so a client that reads the audit log right after its answer
// finds the record.
void ApiCall::Send(unsigned status, std::string content_type, std::string body_text,
                   Headers headers) {
  Finish(status,
         [r = responder, status, type = std::move(content_type), text = std::move(body_text),
          headers = std::move(headers), id = ctx.request_id](bool recorded) mutable {
           // A refusal holds no answer: it leaves as it is, recorded or not.
           if (recorded || status >= 400)
             return r->Reply(status, std::move(type), std::move(text), std::move(headers));
           r->Reply(503, "application/json", JsonText(ErrorBody(AnswerWithheld(), "")),
                    {{"X-Request-Id", id}, {"Retry-After", "5"}});
         });
}

void ApiCall::ReplyJson(unsigned status, const nlohmann::json& j, Headers headers) {
  headers.emplace_back("X-Request-Id", ctx.request_id);
  Send(status, "application/json", JsonText(j), std::move(headers));
}

void ApiCall::Reply(unsigned status, const std::string& content_type, std::string body_text) {
  Send(status, content_type, std::move(body_text), {{"X-Request-Id", ctx.request_id}});
}

void ApiCall::Fail(const Status& st, const std::string& param) {
  Headers headers;
  if (st.code() == StatusCode::kResourceExhausted) {
    // Quotas name their wait ("retry after 12 s"); the queue says 1 s.
    std::string wait = "1";
    const auto at = st.message().find("retry after ");
    if (at != std::string::npos) {
      const auto n = std::strtoll(st.message().c_str() + at + 12, nullptr, 10);
      if (n > 0) wait = std::to_string(n);
    }
    headers.emplace_back("Retry-After", wait);
  }
  // When to try again after the server, not the request, was the trouble:
  // a full disk needs an operator, a busy or read-only store less.
  if (st.code() == StatusCode::kStorageFull) headers.emplace_back("Retry-After", "60");
  if (st.code() == StatusCode::kUnavailable) headers.emplace_back("Retry-After", "5");
  if (st.code() == StatusCode::kUnauthenticated) headers.emplace_back("WWW-Authenticate", "Bearer");
  ctx.error_message = st.message();
  ReplyJson(ErrorFor(st).status, ErrorBody(st, param), std::move(headers));
}

std::string ApiCall::Query(const std::string& name) const {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string part = query.substr(pos, amp - pos);
    const size_t eq = part.find('=');
    if (part.substr(0, eq) == name) {
      const std::string raw = eq == std::string::npos ? "" : part.substr(eq + 1);
      std::string out;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') {
          out.push_back(' ');
        } else if (raw[i] == '%' && i + 2 < raw.size() && std::isxdigit(raw[i + 1]) &&
                   std::isxdigit(raw[i + 2])) {
          out.push_back(static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16)));
          i += 2;
        } else {
          out.push_back(raw[i]);
        }
      }
      return out;
    }
    pos = amp + 1;
  }
  return {};
}

bool MatchPattern(const std::string& pattern, const std::string& path,
                  std::vector<std::string>* params) {
  std::vector<std::string> found;
  size_t p = 0, q = 0;
  while (p < pattern.size() && q <= path.size()) {
    if (pattern[p] == '{') {
      const size_t close = pattern.find('}', p);
      size_t end = path.find('/', q);
      if (end == std::string::npos) end = path.size();
      if (end == q || end - q > 200) return false;
      found.push_back(path.substr(q, end - q));
      p = close + 1;
      q = end;
    } else {
      if (q >= path.size() || pattern[p] != path[q]) return false;
      ++p;
      ++q;
    }
  }
  if (p != pattern.size() || q != path.size()) return false;
  if (params != nullptr) *params = std::move(found);
  return true;
}

}  // namespace daulat::http
