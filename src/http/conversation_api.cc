// Lumin conversations over HTTP: /api/v1/conversations. Each belongs to the
// credential that started it; turns above the caller's clearance are withheld.

#include <boost/asio/post.hpp>

#include "http/knowledge_api.h"
#include "http/request_fields.h"

namespace daulat::http {
namespace {

using nlohmann::json;

Status NoConversations(const std::string& id) {
  return NotFound("no conversation '" + id + "'");
}

}  // namespace

void KnowledgeApi::ListConversations(const CallPtr& call) {
  call->ctx.audit_action = "conversations_read";
  json data = json::array();
  if (s_.conversations != nullptr) {
    const auto& p = call->ctx.caller.principal;
    auto list = s_.conversations->List(p.tenant_id, p.subject, 100);
    if (!list.ok()) return call->Fail(list.status());
    for (const auto& c : *list) data.push_back(knowledge::ToJson(c));
  }
  call->ReplyJson(200, {{"object", "list"}, {"data", data}});
}

void KnowledgeApi::CreateConversation(const CallPtr& call) {
  RequestFields f(call->body, {"title"});
  const auto title = f.String("title", false, 200);
  if (!f.status().ok()) return call->Fail(f.status());
  call->ctx.audit_action = "conversation_created";
  if (s_.conversations == nullptr)
    return call->Fail(FailedPrecondition("conversations are not available"));
  const auto& p = call->ctx.caller.principal;
  auto c = s_.conversations->Create(p.tenant_id, p.subject, title.value_or(""));
  if (!c.ok()) return call->Fail(c.status());
  call->ctx.resource = "conversation:" + c->id;
  call->ReplyJson(201, knowledge::ToJson(*c));
}

void KnowledgeApi::GetConversation(const CallPtr& call) {
  const std::string& id = call->params.at(0);
  call->ctx.audit_action = "conversation_read";
  call->ctx.resource = "conversation:" + id;
  if (s_.conversations == nullptr) return call->Fail(NoConversations(id));
  const auto& p = call->ctx.caller.principal;
  auto c = s_.conversations->Get(p.tenant_id, p.subject, id);
  if (!c.ok()) return call->Fail(c.status());
  const knowledge::Reader reader = ReaderOf(*call);
  auto turns = s_.conversations->Read(
      p.tenant_id, p.subject, id, p.clearance,
      [&](const std::string& document) { return s_.library->MaySee(reader, document); }, 500);
  if (!turns.ok()) return call->Fail(turns.status());
  json j = knowledge::ToJson(*c);
  j["messages"] = json::array();
  for (const auto& t : turns->turns) j["messages"].push_back(knowledge::ToJson(t));
  j["withheld"] = turns->withheld;
  call->ReplyJson(200, j);
}

void KnowledgeApi::DeleteConversation(const CallPtr& call) {
  const std::string& id = call->params.at(0);
  call->ctx.audit_action = "conversation_deleted";
  call->ctx.resource = "conversation:" + id;
  if (s_.conversations == nullptr) return call->Fail(NoConversations(id));
  const auto& p = call->ctx.caller.principal;
  if (Status st = s_.conversations->Delete(p.tenant_id, p.subject, id); !st.ok())
    return call->Fail(st);
  call->ReplyJson(200, {{"id", id}, {"deleted", true}});
}

}  // namespace daulat::http
