#include "knowledge/conversations.h"

#include <algorithm>
#include <map>

#include "common/clock.h"
#include "knowledge/library_internal.h"

namespace daulat::knowledge {
namespace {

using nlohmann::json;

const std::vector<store::Migration> kMigrations = {
    {1, "conversations and their turns",
     "CREATE TABLE kn_conversations (tenant_id TEXT NOT NULL, conversation_id TEXT NOT NULL, "
     "owner TEXT NOT NULL, title TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER "
     "NOT NULL, PRIMARY KEY (tenant_id, conversation_id));"
     "CREATE INDEX kn_conversations_by_owner ON kn_conversations (tenant_id, owner, updated_at);"
     "CREATE TABLE kn_turns (tenant_id TEXT NOT NULL, conversation_id TEXT NOT NULL, seq INTEGER "
     "NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL, documents "
     "TEXT NOT NULL, classification_rank INTEGER NOT NULL, created_at INTEGER NOT NULL, PRIMARY "
     "KEY (tenant_id, conversation_id, seq));",
     // rowid, which SQLite gives every table, orders conversations updated
     // in one second.
     "CREATE TABLE kn_conversations (tenant_id TEXT NOT NULL, conversation_id TEXT NOT NULL, "
     "owner TEXT NOT NULL, title TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT "
     "NOT NULL, rowid BIGINT GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (tenant_id, "
     "conversation_id));"
     "CREATE INDEX kn_conversations_by_owner ON kn_conversations (tenant_id, owner, updated_at);"
     "CREATE TABLE kn_turns (tenant_id TEXT NOT NULL, conversation_id TEXT NOT NULL, seq BIGINT "
     "NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL, documents "
     "TEXT NOT NULL, classification_rank BIGINT NOT NULL, created_at BIGINT NOT NULL, PRIMARY "
     "KEY (tenant_id, conversation_id, seq));"},
};

constexpr const char* kColumns =
    "SELECT c.conversation_id, c.tenant_id, c.owner, c.title, c.created_at, c.updated_at, (SELECT "
    "COUNT(*) FROM kn_turns t WHERE {tenant:t} AND t.conversation_id = "
    "c.conversation_id) FROM kn_conversations c ";

Conversation ConversationFrom(const store::Row& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4), r.Int(5), r.Int(6)};
}

std::string Clip(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

}  // namespace

Result<std::unique_ptr<Conversations>> Conversations::Open(store::Database& db) {
  DAULAT_RETURN_IF_ERROR(db.Migrate("knowledge_conversations", kMigrations));
  return std::unique_ptr<Conversations>(new Conversations(db));
}

Result<Conversation> Conversations::Create(const std::string& tenant_id, const std::string& owner,
                                           const std::string& title) {
  if (title.size() > 200) return InvalidArgument("a title is at most 200 bytes");
  Conversation c;
  c.id = internal::NewId("conv_");
  c.tenant_id = tenant_id;
  c.owner = owner;
  c.title = title;
  c.created_at = c.updated_at = UnixSeconds();
  DAULAT_RETURN_IF_ERROR(
      store::TenantScope(db_, tenant_id)
          .Insert("kn_conversations",
                  {"conversation_id", "owner", "title", "created_at", "updated_at"},
                  {c.id, owner, title, c.created_at, c.updated_at}));
  return c;
}

Result<std::vector<Conversation>> Conversations::List(const std::string& tenant_id,
                                                      const std::string& owner, size_t limit) {
  auto rows = store::TenantScope(db_, tenant_id)
                  .Query(std::string(kColumns) +
                             "WHERE {tenant:c} AND c.owner = ? ORDER BY c.updated_at DESC, "
                             "c.rowid DESC LIMIT ?",
                         {owner, static_cast<int64_t>(limit)});
  if (!rows.ok()) return rows.status();
  std::vector<Conversation> out;
  for (const auto& r : *rows) out.push_back(ConversationFrom(r));
  return out;
}

Result<Conversation> Conversations::Get(const std::string& tenant_id, const std::string& owner,
                                        const std::string& id) {
  auto rows = store::TenantScope(db_, tenant_id)
                  .Query(std::string(kColumns) +
                             "WHERE {tenant:c} AND c.owner = ? AND c.conversation_id = ?",
                         {owner, id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound("no conversation '" + id + "'");
  return ConversationFrom(rows->front());
}

Result<Conversations::Turns> Conversations::Read(const std::string& tenant_id,
                                                 const std::string& owner, const std::string& id,
                                                 Classification clearance,
                                                 const DocumentCheck& may_see, size_t limit) {
  auto c = Get(tenant_id, owner, id);
  if (!c.ok()) return c.status();
  auto rows = store::TenantScope(db_, tenant_id)
                  .Select("kn_turns",
                          {"seq", "question", "answer", "citations", "documents",
                           "classification_rank", "created_at"},
                          "conversation_id = ?", {id}, "seq DESC");
  if (!rows.ok()) return rows.status();
  std::map<std::string, bool> seen;  // one check per document per read
  const auto visible = [&](const std::string& document_id) {
    auto it = seen.find(document_id);
    if (it == seen.end()) it = seen.emplace(document_id, may_see && may_see(document_id)).first;
    return it->second;
  };
  Turns out;
  for (const auto& r : *rows) {
    if (r.Int(5) > static_cast<int64_t>(clearance)) {
      ++out.withheld;
      continue;
    }
    Turn t;
    const json docs = json::parse(r.Text(4), nullptr, false);
    if (docs.is_array()) {
      for (const auto& d : docs) {
        if (d.is_string()) t.document_ids.push_back(d.get<std::string>());
      }
    }
    if (!std::all_of(t.document_ids.begin(), t.document_ids.end(), visible)) {
      ++out.withheld;
      continue;
    }
    if (out.turns.size() == limit) continue;
    t.seq = r.Int(0);
    t.question = r.Text(1);
    t.answer = r.Text(2);
    t.citations = json::parse(r.Text(3), nullptr, false);
    if (!t.citations.is_array()) t.citations = json::array();
    t.classification = ClassificationFromRank(r.Int(5));
    t.created_at = r.Int(6);
    out.turns.push_back(std::move(t));
  }
  std::reverse(out.turns.begin(), out.turns.end());
  return out;
}

Status Conversations::Append(const std::string& tenant_id, const std::string& owner,
                             const std::string& id, const Turn& turn) {
  auto tx = db_.Begin();
  if (!tx.ok()) return tx.status();
  store::TenantScope scope(**tx, tenant_id);
  auto rows = scope.Query(
      "SELECT c.title, (SELECT COALESCE(MAX(t.seq), 0) FROM kn_turns t WHERE {tenant:t} AND "
      "t.conversation_id = c.conversation_id) FROM kn_conversations c WHERE {tenant:c} AND "
      "c.owner = ? AND c.conversation_id = ?",
      {owner, id});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return NotFound("no conversation '" + id + "'");
  const std::string title = rows->front().Text(0);
  const int64_t seq = rows->front().Int(1) + 1;
  const int64_t now = UnixSeconds();
  DAULAT_RETURN_IF_ERROR(scope.Insert(
      "kn_turns",
      {"conversation_id", "seq", "question", "answer", "citations", "documents",
       "classification_rank", "created_at"},
      {id, seq, turn.question, turn.answer,
       turn.citations.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
       json(turn.document_ids).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
       static_cast<int64_t>(turn.classification), now}));
  DAULAT_RETURN_IF_ERROR(scope
                             .Update("kn_conversations", {"updated_at", "title"},
                                     {now, title.empty() ? Clip(turn.question, 80) : title},
                                     "conversation_id = ?", {id})
                             .status());
  return (*tx)->Commit();
}

Status Conversations::Delete(const std::string& tenant_id, const std::string& owner,
                             const std::string& id) {
  auto c = Get(tenant_id, owner, id);
  if (!c.ok()) return c.status();
  auto tx = db_.Begin();
  if (!tx.ok()) return tx.status();
  store::TenantScope scope(**tx, tenant_id);
  DAULAT_RETURN_IF_ERROR(scope.Delete("kn_turns", "conversation_id = ?", {id}).status());
  DAULAT_RETURN_IF_ERROR(scope.Delete("kn_conversations", "conversation_id = ?", {id}).status());
  return (*tx)->Commit();
}

Status Conversations::ForgetDocument(const std::string& tenant_id, const std::string& document_id) {
  return store::TenantScope(db_, tenant_id)
      .Delete("kn_turns", "documents LIKE ?", {"%\"" + document_id + "\"%"})
      .status();
}

json ToJson(const Conversation& c) {
  return {{"id", c.id},       {"object", "conversation"},   {"title", c.title},
          {"turns", c.turns}, {"created_at", c.created_at}, {"updated_at", c.updated_at}};
}

json ToJson(const Turn& t) {
  return {{"seq", t.seq},
          {"question", t.question},
          {"answer", t.answer},
          {"citations", t.citations},
          // A kept answer always cites (FinishAnswer refuses otherwise).
          {"no_answer", t.citations.empty()},
          {"classification", ClassificationName(t.classification)},
          {"created_at", t.created_at}};
}

}  // namespace daulat::knowledge
