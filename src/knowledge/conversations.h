#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/classification.h"
#include "common/status.h"
#include "store/database.h"

namespace daulat::knowledge {

// One question and its answer.
struct Turn {
  int64_t seq = 0;
  std::string question, answer;
  nlohmann::json citations = nlohmann::json::array();        // as in the answer object
  std::vector<std::string> document_ids;                     // every source the model was given
  Classification classification = Classification::kTerbuka;  // the answer's label
  int64_t created_at = 0;
};

struct Conversation {
  std::string id, tenant_id, owner, title;
  int64_t created_at = 0, updated_at = 0;
  int64_t turns = 0;
};

// Lumin conversations: each belongs to the credential that started it
// (anyone else is told it does not exist). Reading re-checks every turn
// against the reader as they are now: a lowered clearance, or a group taken
// away from them, hides the old answers drawn from what they may no longer see.
// Erasing a document deletes every turn whose answer drew on it. Thread-safe.
class Conversations {
 public:
  static Result<std::unique_ptr<Conversations>> Open(store::Database& db);

  // `title` up to 200 bytes; empty: the first question names it.
  Result<Conversation> Create(const std::string& tenant_id, const std::string& owner,
                              const std::string& title);
  Result<std::vector<Conversation>> List(const std::string& tenant_id, const std::string& owner,
                                         size_t limit);
  Result<Conversation> Get(const std::string& tenant_id, const std::string& owner,
                           const std::string& id);
  // Whether the reader may see a document now (Library::MaySee).
  using DocumentCheck = std::function<bool(const std::string& document_id)>;
  // The last `limit` turns (oldest first) whose label is within `clearance`
  // and whose every source passes `may_see`, and how many were withheld.
  struct Turns {
    std::vector<Turn> turns;
    int64_t withheld = 0;
  };
  Result<Turns> Read(const std::string& tenant_id, const std::string& owner, const std::string& id,
                     Classification clearance, const DocumentCheck& may_see, size_t limit);
  Status Append(const std::string& tenant_id, const std::string& owner, const std::string& id,
                const Turn& turn);
  Status Delete(const std::string& tenant_id, const std::string& owner, const std::string& id);
  Status ForgetDocument(const std::string& tenant_id, const std::string& document_id);

 private:
  explicit Conversations(store::Database& db) : db_(db) {}
  store::Database& db_;
};

nlohmann::json ToJson(const Conversation& c);
nlohmann::json ToJson(const Turn& t);

}  // namespace daulat::knowledge
