#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace daulat::governance {

// RFC 6962 / RFC 9162 Merkle tree hashing: the structure behind the
// tamper-evident audit log. Leaves and interior nodes are domain-separated
// (0x00 and 0x01 prefixes), so a leaf can never pass for a node.
using Hash = std::array<uint8_t, 32>;

Hash LeafHash(std::string_view data);                // SHA-256(0x00 || data)
Hash NodeHash(const Hash& left, const Hash& right);  // SHA-256(0x01 || left || right)
Hash EmptyTreeHash();                                // SHA-256("")
std::string ToHex(const Hash& h);
// INVALID_ARGUMENT unless 64 hex digits.
Result<Hash> HashFromHex(std::string_view hex);

// An append-only tree over leaf hashes. Keeps every complete subtree's hash
// (about 2n hashes), so appends are amortised O(1) and roots and proofs for
// any earlier size are O(log² n). Not thread-safe: the audit log serialises
// access.
class MerkleTree {
 public:
  void Append(const Hash& leaf_hash);
  size_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }

  Hash Root() const { return RootAt(size()).value(); }
  // The root the tree had when it held `tree_size` leaves. INVALID_ARGUMENT if
  // tree_size > size().
  Result<Hash> RootAt(size_t tree_size) const;
  // Audit path for leaf `index` in the tree of `tree_size` leaves (RFC 6962 2.1.1).
  Result<std::vector<Hash>> InclusionProof(size_t index, size_t tree_size) const;
  // Proof that the tree of `old_size` leaves is a prefix of the one of
  // `new_size` leaves (RFC 6962 2.1.2).
  Result<std::vector<Hash>> ConsistencyProof(size_t old_size, size_t new_size) const;

 private:
  Hash RangeHash(size_t begin, size_t end) const;  // MTH(D[begin:end]), begin < end
  void Path(size_t index, size_t begin, size_t end, std::vector<Hash>& out) const;
  void SubProof(size_t m, size_t begin, size_t end, bool whole, std::vector<Hash>& out) const;

  // levels_[k][i]: hash of the complete subtree of 2^k leaves starting at leaf i*2^k.
  std::vector<std::vector<Hash>> levels_;
};

// RFC 9162 2.1.3.2. False for any inconsistency, never an exception.
bool VerifyInclusion(const Hash& leaf_hash, size_t index, size_t tree_size,
                     const std::vector<Hash>& proof, const Hash& root);
// RFC 9162 2.1.4.2, plus the trivial cases (equal sizes, empty old tree).
bool VerifyConsistency(size_t old_size, size_t new_size, const Hash& old_root, const Hash& new_root,
                       const std::vector<Hash>& proof);

}  // namespace daulat::governance
