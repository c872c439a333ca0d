#pragma once

#include <map>
#include <string>
#include <vector>

#include "store/database.h"

namespace daulat::store {

// The database schema each release of daulat shipped: for every component,
// how many of its migrations it had applied. Migrations are append-only (a
// shipped one is never edited: SchemaHistoryTest compares each with the
// digest recorded when it shipped), so release R's schema is, for each
// component, today's migrations 1..N with N from here. Add a release here
// when one is made, with the digests of its new migrations.
struct SchemaRelease {
  std::string version;                  // daulat's version, e.g. "0.1.0"
  std::map<std::string, int> versions;  // component -> migrations applied
};

// Oldest first; the last one is the previous release of this program.
const std::vector<SchemaRelease>& SchemaReleases();

// Every component's migrations as this program knows them, recorded by
// Database::Migrate as each store opens (component -> its list): what the
// upgrade tests rebuild an old release's schema from.
std::map<std::string, std::vector<Migration>> KnownMigrations();

}  // namespace daulat::store
