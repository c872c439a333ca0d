#include "engine/sentencepiece_charsmap.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <set>

namespace daulat::engine {
namespace {

// A darts-clone unit: bits 0-7 the label, bit 8 "has a leaf child", bits
// 10-30 the offset to the children (bit 9 set: the offset is stored >> 8), or,
// with bit 31 set, a leaf's value.
constexpr uint32_t kValueBit = 1U << 31;
constexpr uint32_t kLeafBit = 1U << 8;
constexpr uint32_t kBlock = 256;

struct TrieNode {
  std::map<uint8_t, size_t> children;
  int64_t value = -1;  // offset of the replacement string, when a rule ends here
};

Result<uint32_t> EncodeOffset(uint32_t offset) {
  if (offset < (1U << 21)) return offset << 10;
  if (offset >= (1U << 29) || (offset & 0xFF) != 0)
    return ResourceExhausted("the normalisation table is too large for a double array");
  return (offset << 2) | (1U << 9);
}

// Places the trie in a double array. Each node's children live at X ^ label
// for a block base X that no other node uses: a lookup only checks the
// child's label, so a shared X would let one node's walk land on another's child.
class DoubleArrayBuilder {
 public:
  Result<std::vector<uint32_t>> Build(const std::vector<TrieNode>& nodes) {
    Grow(kBlock);
    used_[0] = true;
    std::deque<std::pair<size_t, uint32_t>> queue{{0, 0}};  // (node, position)
    while (!queue.empty()) {
      const auto [node, pos] = queue.front();
      queue.pop_front();
      const TrieNode& n = nodes[node];
      std::vector<uint8_t> labels;
      if (n.value >= 0) labels.push_back(0);
      for (const auto& [label, child] : n.children) labels.push_back(label);
      if (labels.empty()) continue;
      const uint32_t base = FindBase(labels, pos);
      auto offset = EncodeOffset(pos ^ base);
      if (!offset.ok()) return offset.status();
      units_[pos] |= *offset | (n.value >= 0 ? kLeafBit : 0);
      base_used_.insert(base);
      if (n.value >= 0) Place(base, static_cast<uint32_t>(n.value) | kValueBit);
      for (const auto& [label, child] : n.children) {
        Place(base ^ label, label);
        queue.emplace_back(child, base ^ label);
      }
    }
    return units_;
  }

 private:
  void Grow(size_t size) {
    const size_t rounded = (size + kBlock - 1) / kBlock * kBlock;
    if (units_.size() < rounded) {
      units_.resize(rounded, 0);
      used_.resize(rounded, false);
    }
  }
  void Place(uint32_t at, uint32_t unit) {
    units_[at] = unit;
    used_[at] = true;
  }
  // The lowest base whose child positions are all free, starting from the
  // first free position so the array stays dense.
  uint32_t FindBase(const std::vector<uint8_t>& labels, uint32_t pos) {
    while (first_free_ < used_.size() && used_[first_free_]) ++first_free_;
    for (uint32_t free = first_free_;; ++free) {
      Grow(free + 1);
      if (used_[free]) continue;
      const uint32_t base = free ^ labels[0];
      if (base == pos || base_used_.count(base) != 0) continue;
      Grow(base + kBlock);
      bool fits = true;
      for (const uint8_t l : labels) fits = fits && !used_[base ^ l];
      if (fits) return base;
    }
  }

  std::vector<uint32_t> units_;
  std::vector<bool> used_;
  std::set<uint32_t> base_used_;
  uint32_t first_free_ = 0;
};

uint32_t ReadU32(const std::string& s, size_t at) {
  uint32_t v = 0;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}

}  // namespace

Result<std::string> BuildPrecompiledCharsmap(const std::vector<CharsmapRule>& rules) {
  std::vector<TrieNode> nodes(1);
  std::string pool;
  std::map<std::string, uint32_t> pooled;
  for (const auto& rule : rules) {
    if (rule.from.empty()) return InvalidArgument("a normalisation rule has an empty input");
    if (rule.from.find('\0') != std::string::npos || rule.to.find('\0') != std::string::npos)
      return InvalidArgument("a normalisation rule contains a NUL byte");
    size_t at = 0;
    for (const char c : rule.from) {
      const auto label = static_cast<uint8_t>(c);
      auto it = nodes[at].children.find(label);
      if (it == nodes[at].children.end()) {
        nodes.emplace_back();
        it = nodes[at].children.emplace(label, nodes.size() - 1).first;
      }
      at = it->second;
    }
    if (nodes[at].value >= 0) return InvalidArgument("two normalisation rules for the same input");
    auto [it, added] = pooled.emplace(rule.to, static_cast<uint32_t>(pool.size()));
    if (added) pool.append(rule.to).push_back('\0');
    nodes[at].value = it->second;
  }
  auto units = DoubleArrayBuilder().Build(nodes);
  if (!units.ok()) return units.status();
  std::string out(4 + units->size() * 4, '\0');
  const auto bytes = static_cast<uint32_t>(units->size() * 4);
  std::memcpy(out.data(), &bytes, 4);
  std::memcpy(out.data() + 4, units->data(), bytes);
  return out + pool;
}

std::pair<size_t, std::string> MatchCharsmap(const std::string& charsmap, const std::string& text) {
  if (charsmap.size() < 4) return {0, ""};
  const size_t n_units = ReadU32(charsmap, 0) / 4;
  if (4 + n_units * 4 > charsmap.size() || n_units == 0) return {0, ""};
  const auto unit = [&](size_t i) { return i < n_units ? ReadU32(charsmap, 4 + i * 4) : 0U; };
  const auto base = [&](size_t i) {
    const uint32_t u = unit(i);
    return (u >> 10) << ((u & (1U << 9)) >> 6);
  };
  const std::string pool = charsmap.substr(4 + n_units * 4);
  size_t node = base(0), matched = 0;
  uint32_t value = 0;
  for (size_t i = 0; i < text.size() && text[i] != '\0'; ++i) {
    const auto c = static_cast<uint8_t>(text[i]);
    node ^= c;
    if ((unit(node) & (kValueBit | 0xFF)) != c) break;
    const bool leaf = (unit(node) & kLeafBit) != 0;
    node ^= base(node);
    if (leaf) {
      matched = i + 1;
      value = unit(node) & ~kValueBit;
    }
  }
  if (matched == 0 || value >= pool.size()) return {0, ""};
  return {matched, std::string(pool.c_str() + value)};
}

}  // namespace daulat::engine
