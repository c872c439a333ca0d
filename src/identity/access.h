#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "identity/identity_store.h"

namespace daulat::identity {

// What a request wants to do. A principal may when its role allows it and,
// for a key with scopes, one of them names it (a scope has the same name).
// kListModels to kManageCollections are the scoped ones: keep new scoped
// permissions inside that range.
enum class Permission {
  kPublic,             // health, sign-in: no caller needed
  kSelf,               // who am I, sign out: any caller
  kListModels,         // "models"
  kInfer,              // "inference": chat, completions, embeddings
  kReadPolicy,         // "policy.read"
  kManagePolicy,       // "policy"
  kManageIdentity,     // "identity": users and keys of the caller's tenant
  kManageTenants,      // "tenants": owners of the operator tenant only
  kReadAudit,          // "audit"
  kReadUsage,          // "usage"
  kReadDocuments,      // "documents.read": collections, documents and search (Lumin)
  kManageDocuments,    // "documents": upload and delete documents
  kManageCollections,  // "collections": create collections
  kReadMetrics,        // "metrics": server-wide /metrics (operator tenant only)
};
// The permissions a key's scopes name, first to last.
inline constexpr Permission kFirstScoped = Permission::kListModels;
inline constexpr Permission kLastScoped = Permission::kReadMetrics;
std::string_view PermissionScope(Permission p);
bool RoleAllows(Role role, Permission p);

// Every scope a key may be given, in a stable order.
const std::vector<std::string>& KnownScopes();
// Whether `scopes` (empty: every scope) cover `scope`; a write scope covers
// its read scope ("policy" covers "policy.read").
bool ScopesCover(const std::vector<std::string>& scopes, std::string_view scope);
// Whether `p` may use `permission`: its role allows it and its scopes cover it.
bool MayUse(const Principal& p, Permission permission);

}  // namespace daulat::identity
