#pragma once

// Helpers shared by the files that implement IdentityStore; not a public API.

#include <string>
#include <vector>

#include "identity/identity_store.h"
#include "store/database.h"

namespace daulat::identity::internal {

inline constexpr const char* kBadCredentials = "invalid user name or password";
inline constexpr const char* kBadKey = "invalid, expired or revoked API key";

// n characters from an alphabet without look-alikes, from libsodium's CSPRNG.
std::string RandomToken(size_t n);
std::string JoinScopes(const std::vector<std::string>& scopes);
std::vector<std::string> SplitScopes(const std::string& text);
Status CheckLimits(const Limits& limits);
// Group names: 1-64 characters without spaces, at most 64 groups.
Status CheckGroups(const std::vector<std::string>& groups);
store::Value Optional(const std::optional<int64_t>& v);

}  // namespace daulat::identity::internal
