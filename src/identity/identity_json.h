#pragma once

#include <nlohmann/json.hpp>

#include "identity/identity_store.h"

namespace daulat::identity {

// The JSON forms the management API and `daulat ... --json` show. Never a
// secret or a hash.
nlohmann::json ToJson(const TenantInfo& t);
nlohmann::json ToJson(const UserInfo& u);
nlohmann::json ToJson(const ApiKeyInfo& k);

}  // namespace daulat::identity
