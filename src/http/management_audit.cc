// Management API: policy, audit and usage.

#include <boost/asio/post.hpp>

#include "governance/audit_export.h"
#include "http/management_api.h"
#include "http/openai_errors.h"

namespace daulat::http {
namespace {

using nlohmann::json;

json PolicyJson(const governance::Policy& p) {
  return json::parse(governance::PolicyToJson(p));
}

}  // namespace

void ManagementApi::GetPolicy(const CallPtr& call) {
  call->ctx.audit_action = "policy_read";
  auto p = s_.policies->Current(call->ctx.caller.principal.tenant_id);
  if (!p.ok()) return call->Fail(p.status());
  call->ReplyJson(200, PolicyJson(*p));
}

void ManagementApi::PutPolicy(const CallPtr& call) {
  const auto& caller = call->ctx.caller.principal;
  // ?dry_run=true checks a draft (the console's editor) and stores nothing.
  if (call->Query("dry_run") == "true") {
    call->ctx.audit_action = "policy_validated";
    auto draft = governance::ParsePolicy(
        call->body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!draft.ok()) return call->Fail(draft.status(), "levels");
    json shown = PolicyJson(*draft);
    shown["valid"] = true;
    return call->ReplyJson(200, shown);
  }
  call->ctx.audit_action = "policy_changed";
  auto p = s_.policies->Put(
      caller.tenant_id, call->body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      caller.subject);
  if (!p.ok()) return call->Fail(p.status(), "levels");
  call->ctx.resource = "policy:v" + std::to_string(p->version);
  call->ctx.decision_reason = "policy v" + std::to_string(p->version) + " written";
  call->ReplyJson(200, PolicyJson(*p));
}

void ManagementApi::PolicyVersions(const CallPtr& call) {
  call->ctx.audit_action = "policy_read";
  auto history = s_.policies->History(call->ctx.caller.principal.tenant_id);
  if (!history.ok()) return call->Fail(history.status());
  json data = json::array();
  for (const auto& p : *history) data.push_back(PolicyJson(p));
  call->ReplyJson(200, {{"object", "list"}, {"data", data}});
}

void ManagementApi::ListAudit(const CallPtr& call) {
  call->ctx.audit_action = "audit_read";
  // Records reach the log from a background writer: wait for those of
  // requests that finished before this one, so callers read their own writes.
  PostFor(audit_work_, call, [this, call] {
    if (s_.audit_writer != nullptr) s_.audit_writer->Flush();
    ListAuditNow(call);
  });
}

void ManagementApi::ListAuditNow(const CallPtr& call) {
  const std::string after_text = call->Query("after");
  const std::string limit_text = call->Query("limit");
  const std::string action = call->Query("action");
  const std::string actor = call->Query("actor");
  const auto after = after_text.empty() ? int64_t{-1} : ParseWholeNumber(after_text, -1, INT64_MAX);
  if (!after)
    return call->Fail(InvalidArgument("'after' must be a record sequence number"), "after");
  const auto limit = limit_text.empty() ? int64_t{100} : ParseWholeNumber(limit_text, 1, 1000);
  if (!limit) return call->Fail(InvalidArgument("'limit' must be from 1 to 1000"), "limit");
  auto page = governance::ListAudit(*s_.db, call->ctx.caller.principal.tenant_id,
                                    {*after, *limit, action, actor});
  if (!page.ok()) return call->Fail(page.status());
  call->ReplyJson(200,
                  {{"object", "list"}, {"data", page->records}, {"next_after", page->next_after}});
}

void ManagementApi::VerifyAudit(const CallPtr& call) {
  call->ctx.audit_action = "audit_verified";
  PostFor(audit_work_, call, [this, call] {
    if (s_.audit_writer != nullptr) s_.audit_writer->Flush();
    // Sign a fresh checkpoint first, so the verification covers every record so far.
    auto note = s_.audit->Checkpoint();
    if (!note.ok()) return call->Fail(note.status());
    const auto v = governance::AuditLog::Verify(*s_.db, s_.audit->verifier_key());
    call->ctx.decision_reason = v.status.ok() ? "chain verified" : v.status.message();
    call->ReplyJson(200, {{"ok", v.status.ok()},
                          {"records", v.records},
                          {"checkpoints", v.checkpoints},
                          {"error", v.status.ok() ? json(nullptr) : json(v.status.message())},
                          {"checkpoint", *note},
                          {"verifier_key", s_.audit->verifier_key()}});
  });
}

void ManagementApi::ProveAudit(const CallPtr& call) {
  call->ctx.audit_action = "audit_read";
  const auto seq = ParseWholeNumber(call->params.at(0), 0, INT64_MAX);
  if (!seq)
    return call->Fail(InvalidArgument("the audit record id must be a sequence number"), "seq");
  PostFor(audit_work_, call, [this, call, seq = *seq] {
    if (s_.audit_writer != nullptr) s_.audit_writer->Flush();
    auto proved = governance::ProveAuditRecord(
        *s_.audit, *s_.db, call->ctx.caller.principal.tenant_id, static_cast<uint64_t>(seq));
    if (!proved.ok()) return call->Fail(proved.status());
    call->ReplyJson(200, *proved);
  });
}

// The export streams: lines leave in batches as pages are read, and a slow
// reader slows the export instead of the server holding a whole tenant's
// log in memory. Its opening is on record before any line leaves; a failure
// midway ends the transfer without its last chunk, so no client takes a
// cut-off export for a whole one.
void ManagementApi::ExportAudit(const CallPtr& call) {
  call->ctx.audit_action = "audit_exported";
  call->OpenStream([this, call](bool may) {
    if (!may) return;
    PostFor(exports_, call, [this, call] {
      constexpr size_t kBatch = size_t{64} << 10;
      // A reader slower than this holds an export thread too long: it ends.
      constexpr auto kLongest = std::chrono::minutes(15);
      const auto deadline = std::chrono::steady_clock::now() + kLongest;
      if (s_.audit_writer != nullptr) s_.audit_writer->Flush();
      auto& out = *call->responder;
      bool begun = false;
      std::string batch;
      Status st = governance::ExportAudit(
          *s_.audit, *s_.db, call->ctx.caller.principal.tenant_id, [&](const std::string& line) {
            batch += line;
            if (stopping_ || std::chrono::steady_clock::now() > deadline) return false;
            if (batch.size() < kBatch) return true;
            if (!begun)
              out.BeginChunks(200, "application/x-ndjson",
                              {{"X-Request-Id", call->ctx.request_id}});
            begun = true;
            return out.SendChunk(std::exchange(batch, {}));
          });
      if (!st.ok() && !begun) return call->Fail(st);
      if (!st.ok()) {
        call->ctx.error_message = st.message();
        out.AbortChunks();
        return call->Finish(st.code() == StatusCode::kCancelled ? 499 : 500);
      }
      if (!begun)
        out.BeginChunks(200, "application/x-ndjson", {{"X-Request-Id", call->ctx.request_id}});
      out.SendChunk(std::move(batch));
      call->Finish(200, [r = call->responder](bool recorded) {
        if (recorded) return r->EndChunks();
        r->AbortChunks();  // the export's own record was lost: not a whole export
      });
    });
  });
}

void ManagementApi::Usage(const CallPtr& call) {
  call->ctx.audit_action = "usage_read";
  gateway::UsageQuery q;
  q.from_day = call->Query("from");
  q.to_day = call->Query("to");
  q.key_id = call->Query("key");
  const std::string group = call->Query("group_by");
  if (!group.empty()) {
    if (Status st = gateway::ParseGroupBy(group, q); !st.ok()) return call->Fail(st, "group_by");
  }
  // ?tenant= reads another tenant's usage: only the operator tenant's owners
  // (who create tenants) may; for anyone else other tenants do not exist.
  const auto& caller = call->ctx.caller.principal;
  std::string tenant = call->Query("tenant");
  if (tenant.empty()) tenant = caller.tenant_id;
  if (tenant != caller.tenant_id) {
    const bool operator_owner =
        caller.tenant_id == gateway::kOperatorTenant && caller.role == identity::Role::kOwner;
    if (!operator_owner || !s_.identity->GetTenant(tenant).ok())
      return call->Fail(NotFound("no tenant '" + tenant.substr(0, 64) + "'"), "tenant");
    call->ctx.resource = "tenant:" + tenant;
  }
  auto rows = s_.usage->Query(tenant, q);
  if (!rows.ok()) return call->Fail(rows.status());
  json data = json::array();
  for (const auto& r : *rows) data.push_back(gateway::UsageRowJson(r, q));
  call->ReplyJson(200, {{"object", "list"}, {"data", data}});
}

}  // namespace daulat::http
