#include "governance/merkle_tree.h"

#include <sodium.h>

namespace daulat::governance {
namespace {

// Largest power of two strictly smaller than n (n >= 2).
size_t SplitPoint(size_t n) {
  size_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

bool IsPowerOfTwo(size_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

}  // namespace

Hash LeafHash(std::string_view data) {
  crypto_hash_sha256_state s;
  crypto_hash_sha256_init(&s);
  const unsigned char prefix = 0x00;
  crypto_hash_sha256_update(&s, &prefix, 1);
  crypto_hash_sha256_update(&s, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  Hash h{};
  crypto_hash_sha256_final(&s, h.data());
  return h;
}

Hash NodeHash(const Hash& left, const Hash& right) {
  crypto_hash_sha256_state s;
  crypto_hash_sha256_init(&s);
  const unsigned char prefix = 0x01;
  crypto_hash_sha256_update(&s, &prefix, 1);
  crypto_hash_sha256_update(&s, left.data(), left.size());
  crypto_hash_sha256_update(&s, right.data(), right.size());
  Hash h{};
  crypto_hash_sha256_final(&s, h.data());
  return h;
}

Hash EmptyTreeHash() {
  Hash h{};
  crypto_hash_sha256(h.data(), nullptr, 0);
  return h;
}

std::string ToHex(const Hash& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < h.size(); ++i) {
    out[2 * i] = kDigits[h[i] >> 4];
    out[2 * i + 1] = kDigits[h[i] & 0xf];
  }
  return out;
}

Result<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 64) return InvalidArgument("a hash is 64 hex digits");
  Hash h{};
  for (size_t i = 0; i < 32; ++i) {
    int v = 0;
    for (size_t j = 0; j < 2; ++j) {
      const char c = hex[2 * i + j];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) return InvalidArgument("a hash is 64 hex digits");
      v = v * 16 + d;
    }
    h[i] = static_cast<uint8_t>(v);
  }
  return h;
}

void MerkleTree::Append(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Like a binary counter: each completed pair completes a subtree one level up.
  for (size_t k = 0; levels_[k].size() % 2 == 0; ++k) {
    const auto& level = levels_[k];
    const Hash parent = NodeHash(level[level.size() - 2], level.back());
    if (levels_.size() == k + 1) levels_.emplace_back();
    levels_[k + 1].push_back(parent);
  }
}

Hash MerkleTree::RangeHash(size_t begin, size_t end) const {
  const size_t n = end - begin;
  if (IsPowerOfTwo(n)) {
    size_t k = 0;
    while ((size_t{1} << k) < n) ++k;
    if (begin % n == 0) return levels_[k][begin >> k];
  }
  const size_t split = SplitPoint(n);
  return NodeHash(RangeHash(begin, begin + split), RangeHash(begin + split, end));
}

Result<Hash> MerkleTree::RootAt(size_t tree_size) const {
  if (tree_size > size())
    return InvalidArgument("the tree has only " + std::to_string(size()) + " leaves");
  if (tree_size == 0) return EmptyTreeHash();
  return RangeHash(0, tree_size);
}

void MerkleTree::Path(size_t index, size_t begin, size_t end, std::vector<Hash>& out) const {
  const size_t n = end - begin;
  if (n <= 1) return;
  const size_t k = SplitPoint(n);
  if (index < k) {
    Path(index, begin, begin + k, out);
    out.push_back(RangeHash(begin + k, end));
  } else {
    Path(index - k, begin + k, end, out);
    out.push_back(RangeHash(begin, begin + k));
  }
}

Result<std::vector<Hash>> MerkleTree::InclusionProof(size_t index, size_t tree_size) const {
  if (tree_size > size())
    return InvalidArgument("the tree has only " + std::to_string(size()) + " leaves");
  if (index >= tree_size) return InvalidArgument("leaf index is outside the tree");
  std::vector<Hash> out;
  Path(index, 0, tree_size, out);
  return out;
}

void MerkleTree::SubProof(size_t m, size_t begin, size_t end, bool whole,
                          std::vector<Hash>& out) const {
  const size_t n = end - begin;
  if (m == n) {
    if (!whole) out.push_back(RangeHash(begin, end));
    return;
  }
  const size_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(m, begin, begin + k, whole, out);
    out.push_back(RangeHash(begin + k, end));
  } else {
    SubProof(m - k, begin + k, end, false, out);
    out.push_back(RangeHash(begin, begin + k));
  }
}

Result<std::vector<Hash>> MerkleTree::ConsistencyProof(size_t old_size, size_t new_size) const {
  if (new_size > size())
    return InvalidArgument("the tree has only " + std::to_string(size()) + " leaves");
  if (old_size > new_size) return InvalidArgument("the old tree size is larger than the new one");
  std::vector<Hash> out;
  if (old_size == 0 || old_size == new_size) return out;
  SubProof(old_size, 0, new_size, true, out);
  return out;
}

bool VerifyInclusion(const Hash& leaf_hash, size_t index, size_t tree_size,
                     const std::vector<Hash>& proof, const Hash& root) {
  if (index >= tree_size) return false;
  size_t fn = index;
  size_t sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(size_t old_size, size_t new_size, const Hash& old_root, const Hash& new_root,
                       const std::vector<Hash>& proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();
  if (proof.empty()) return false;
  std::vector<Hash> path;
  if (IsPowerOfTwo(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  size_t fn = old_size - 1;
  size_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

}  // namespace daulat::governance
