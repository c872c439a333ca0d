#include "identity/access.h"

#include <algorithm>

namespace daulat::identity {

std::string_view PermissionScope(Permission p) {
  switch (p) {
    case Permission::kPublic: return "public";
    case Permission::kSelf: return "self";
    case Permission::kListModels: return "models";
    case Permission::kInfer: return "inference";
    case Permission::kReadPolicy: return "policy.read";
    case Permission::kManagePolicy: return "policy";
    case Permission::kManageIdentity: return "identity";
    case Permission::kManageTenants: return "tenants";
    case Permission::kReadAudit: return "audit";
    case Permission::kReadUsage: return "usage";
    case Permission::kReadDocuments: return "documents.read";
    case Permission::kManageDocuments: return "documents";
    case Permission::kManageCollections: return "collections";
    case Permission::kReadMetrics: return "metrics";
  }
  return "?";
}

bool RoleAllows(Role role, Permission p) {
  switch (p) {
    case Permission::kPublic:
    case Permission::kSelf:
    case Permission::kListModels: return true;
    // Auditors read audit and usage, never content.
    case Permission::kInfer: return role != Role::kAuditor;
    case Permission::kReadPolicy:
      return role == Role::kOwner || role == Role::kAdmin || role == Role::kAuditor;
    case Permission::kManagePolicy:
    case Permission::kManageIdentity: return role == Role::kOwner || role == Role::kAdmin;
    case Permission::kManageTenants: return role == Role::kOwner;
    case Permission::kReadAudit:
    case Permission::kReadUsage:
      return role == Role::kOwner || role == Role::kAdmin || role == Role::kAuditor;
    // Documents are content: never auditors. Services read (retrieval for
    // their apps); people upload; admins shape the library.
    case Permission::kReadDocuments: return role != Role::kAuditor;
    case Permission::kManageDocuments:
      return role == Role::kOwner || role == Role::kAdmin || role == Role::kMember;
    case Permission::kManageCollections: return role == Role::kOwner || role == Role::kAdmin;
    // Server-wide counters: the operators, their auditors, and a scraper's
    // service key.
    case Permission::kReadMetrics: return role != Role::kMember;
  }
  return false;
}

const std::vector<std::string>& KnownScopes() {
  static const std::vector<std::string> kScopes = [] {
    std::vector<std::string> out;
    for (int i = static_cast<int>(kFirstScoped); i <= static_cast<int>(kLastScoped); ++i)
      out.emplace_back(PermissionScope(static_cast<Permission>(i)));
    return out;
  }();
  return kScopes;
}

bool ScopesCover(const std::vector<std::string>& scopes, std::string_view scope) {
  if (scopes.empty()) return true;
  return std::any_of(scopes.begin(), scopes.end(), [&](const std::string& s) {
    return s == scope || (scope.size() == s.size() + 5 && scope.substr(0, s.size()) == s &&
                          scope.substr(s.size()) == ".read");
  });
}

bool MayUse(const Principal& p, Permission permission) {
  if (!RoleAllows(p.role, permission)) return false;
  if (permission == Permission::kPublic || permission == Permission::kSelf) return true;
  return ScopesCover(p.scopes, PermissionScope(permission));
}

}  // namespace daulat::identity
