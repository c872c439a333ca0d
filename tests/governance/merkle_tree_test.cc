#include "governance/merkle_tree.h"

#include <gtest/gtest.h>

#include <random>

namespace daulat::governance {
namespace {

// The RFC 6962 reference leaves and expected values (certificate-transparency test data).
const std::vector<std::string> kLeaves = {
    std::string(""),
    std::string("\x00", 1),
    std::string("\x10"),
    std::string("\x20\x21"),
    std::string("\x30\x31"),
    std::string("\x40\x41\x42\x43"),
    std::string("\x50\x51\x52\x53\x54\x55\x56\x57"),
    std::string("\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"),
};
const std::vector<std::string> kRoots = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

std::vector<std::string> Hex(const std::vector<Hash>& hs) {
  std::vector<std::string> out;
  for (const auto& h : hs) out.push_back(ToHex(h));
  return out;
}

MerkleTree ReferenceTree() {
  MerkleTree t;
  for (const auto& leaf : kLeaves) t.Append(LeafHash(leaf));
  return t;
}

TEST(MerkleTreeTest, EmptyTreeAndLeafHash) {
  EXPECT_EQ(ToHex(EmptyTreeHash()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  MerkleTree t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Root(), EmptyTreeHash());
  // Domain separation: a leaf over the bytes of two hashes is not their node.
  const Hash a = LeafHash("a"), b = LeafHash("b");
  std::string concat(reinterpret_cast<const char*>(a.data()), 32);
  concat.append(reinterpret_cast<const char*>(b.data()), 32);
  EXPECT_NE(LeafHash(concat), NodeHash(a, b));
}

TEST(MerkleTreeTest, Rfc6962RootsForEverySize) {
  MerkleTree t;
  for (size_t i = 0; i < kLeaves.size(); ++i) {
    t.Append(LeafHash(kLeaves[i]));
    EXPECT_EQ(ToHex(t.Root()), kRoots[i]) << "size " << i + 1;
  }
  for (size_t i = 0; i < kLeaves.size(); ++i) EXPECT_EQ(ToHex(*t.RootAt(i + 1)), kRoots[i]);
}

TEST(MerkleTreeTest, Rfc6962InclusionProofs) {
  const MerkleTree t = ReferenceTree();
  EXPECT_TRUE(t.InclusionProof(0, 1)->empty());
  EXPECT_EQ(Hex(*t.InclusionProof(0, 8)),
            (std::vector<std::string>{
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}));
  EXPECT_EQ(Hex(*t.InclusionProof(5, 8)),
            (std::vector<std::string>{
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}));
}

TEST(MerkleTreeTest, Rfc6962ConsistencyProofs) {
  const MerkleTree t = ReferenceTree();
  EXPECT_EQ(Hex(*t.ConsistencyProof(1, 8)),
            (std::vector<std::string>{
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}));
  EXPECT_EQ(Hex(*t.ConsistencyProof(6, 8)),
            (std::vector<std::string>{
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}));
  EXPECT_EQ(Hex(*t.ConsistencyProof(2, 5)),
            (std::vector<std::string>{
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}));
}

TEST(MerkleTreeTest, EveryProofVerifiesAndEveryTamperingFails) {
  MerkleTree t;
  std::vector<Hash> leaves;
  for (int i = 0; i < 67; ++i) {
    leaves.push_back(LeafHash("audit record " + std::to_string(i)));
    t.Append(leaves.back());
  }
  for (size_t n = 1; n <= t.size(); ++n) {
    const Hash root = *t.RootAt(n);
    for (size_t i = 0; i < n; ++i) {
      auto proof = *t.InclusionProof(i, n);
      ASSERT_TRUE(VerifyInclusion(leaves[i], i, n, proof, root)) << i << "/" << n;
      EXPECT_FALSE(VerifyInclusion(LeafHash("forged"), i, n, proof, root));
      if (n > 1) {
        EXPECT_FALSE(VerifyInclusion(leaves[i], (i + 1) % n, n, proof, root));
      }
      if (!proof.empty()) {
        auto flipped = proof;
        flipped.back()[7] ^= 0x01;
        EXPECT_FALSE(VerifyInclusion(leaves[i], i, n, flipped, root));
        auto truncated = proof;
        truncated.pop_back();
        EXPECT_FALSE(VerifyInclusion(leaves[i], i, n, truncated, root));
      }
      auto extended = proof;
      extended.push_back(root);
      EXPECT_FALSE(VerifyInclusion(leaves[i], i, n, extended, root));
    }
    for (size_t m = 0; m <= n; ++m) {
      auto proof = *t.ConsistencyProof(m, n);
      const Hash old_root = *t.RootAt(m);
      ASSERT_TRUE(VerifyConsistency(m, n, old_root, root, proof)) << m << "->" << n;
      if (m > 0 && m < n) {
        // A rewritten history: the old root we remembered no longer matches.
        Hash forged_old = old_root;
        forged_old[0] ^= 0x80;
        EXPECT_FALSE(VerifyConsistency(m, n, forged_old, root, proof));
        auto flipped = proof;
        flipped[0][31] ^= 0x01;
        EXPECT_FALSE(VerifyConsistency(m, n, old_root, root, flipped));
        EXPECT_FALSE(VerifyConsistency(m, n, old_root, root, {}));
      }
    }
  }
}

TEST(MerkleTreeTest, ReorderedOrAlteredLeavesChangeTheRoot) {
  MerkleTree a, b, c;
  for (int i = 0; i < 10; ++i) a.Append(LeafHash(std::to_string(i)));
  for (int i : {0, 1, 2, 4, 3, 5, 6, 7, 8, 9}) b.Append(LeafHash(std::to_string(i)));
  for (int i = 0; i < 10; ++i) c.Append(LeafHash(i == 6 ? "6 " : std::to_string(i)));
  EXPECT_NE(a.Root(), b.Root());
  EXPECT_NE(a.Root(), c.Root());
}

TEST(MerkleTreeTest, BadArguments) {
  const MerkleTree t = ReferenceTree();
  EXPECT_EQ(t.RootAt(9).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.InclusionProof(8, 8).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.InclusionProof(0, 9).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.ConsistencyProof(5, 4).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(VerifyInclusion(LeafHash(""), 3, 3, {}, t.Root()));
  EXPECT_FALSE(VerifyConsistency(5, 4, t.Root(), t.Root(), {}));
  EXPECT_EQ(HashFromHex(kRoots[0]).value(), *t.RootAt(1));
  EXPECT_EQ(HashFromHex("xyz").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HashFromHex(std::string(64, 'g')).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace daulat::governance
