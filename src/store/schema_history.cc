#include "store/schema_history.h"

#include <mutex>

namespace daulat::store {
namespace {

std::mutex& KnownMutex() {
  static std::mutex mu;
  return mu;
}

std::map<std::string, std::vector<Migration>>& Known() {
  static std::map<std::string, std::vector<Migration>> known;
  return known;
}

}  // namespace

const std::vector<SchemaRelease>& SchemaReleases() {
  static const std::vector<SchemaRelease> releases = {
      {"0.1.0",
       {{"assessment", 1},
        {"audit", 1},
        {"content_log", 1},
        {"identity", 3},
        {"knowledge", 2},
        {"knowledge_conversations", 1},
        {"knowledge_jobs", 1},
        {"policy", 1},
        {"usage", 1}}},
  };
  return releases;
}

std::map<std::string, std::vector<Migration>> KnownMigrations() {
  std::lock_guard lock(KnownMutex());
  return Known();
}

void RecordKnownMigrations(const std::string& component, const std::vector<Migration>& list) {
  std::lock_guard lock(KnownMutex());
  Known()[component] = list;
}

}  // namespace daulat::store
