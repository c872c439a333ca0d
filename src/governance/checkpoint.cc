#include "governance/checkpoint.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

#include "common/base64.h"
#include "common/sha256.h"

namespace daulat::governance {
namespace {

constexpr std::string_view kSignaturePrefix = "\xe2\x80\x94 ";  // "— " (U+2014, space)
constexpr uint8_t kAlgEd25519 = 0x01;

bool ValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '+' || std::isspace(u) != 0 || u < 0x21) return false;
  }
  return true;
}

// Key ID: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key).
std::array<uint8_t, 4> KeyId(std::string_view name, const uint8_t* public_key) {
  std::string material(name);
  material.push_back('\n');
  material.push_back(static_cast<char>(kAlgEd25519));
  material.append(reinterpret_cast<const char*>(public_key), 32);
  std::array<uint8_t, 32> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(material.data()),
                     material.size());
  return {digest[0], digest[1], digest[2], digest[3]};
}

}  // namespace

Result<CheckpointSigner> CheckpointSigner::FromSeed(const std::string& name,
                                                    std::string_view seed32) {
  if (!ValidKeyName(name))
    return InvalidArgument("a key name must be non-empty, without spaces or '+'");
  if (seed32.size() != crypto_sign_SEEDBYTES) return InvalidArgument("an Ed25519 seed is 32 bytes");
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  CheckpointSigner s;
  s.name_ = name;
  s.seed_ = std::string(seed32);
  crypto_sign_seed_keypair(s.public_.data(), s.secret_.data(),
                           reinterpret_cast<const unsigned char*>(seed32.data()));
  return s;
}

Result<CheckpointSigner> CheckpointSigner::Generate(const std::string& name) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  std::string seed(crypto_sign_SEEDBYTES, '\0');
  randombytes_buf(seed.data(), seed.size());
  return FromSeed(name, seed);
}

std::string CheckpointSigner::Sign(const Checkpoint& c) const {
  const std::string body =
      c.origin + "\n" + std::to_string(c.size) + "\n" + Base64(c.root.data(), c.root.size()) + "\n";
  std::array<uint8_t, 64> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(body.data()),
                       body.size(), secret_.data());
  const auto id = KeyId(name_, public_.data());
  std::vector<uint8_t> blob(id.begin(), id.end());
  blob.insert(blob.end(), sig.begin(), sig.end());
  return body + "\n" + std::string(kSignaturePrefix) + name_ + " " +
         Base64(blob.data(), blob.size()) + "\n";
}

std::string CheckpointSigner::VerifierKey() const {
  const auto id = KeyId(name_, public_.data());
  std::vector<uint8_t> key = {kAlgEd25519};
  key.insert(key.end(), public_.begin(), public_.end());
  return name_ + "+" + HexEncode(id.data(), id.size()) + "+" + Base64(key.data(), key.size());
}

Result<std::string> VerifyNote(std::string_view note, std::string_view verifier_key) {
  // The verifier key: name+hexid+base64(alg || key).
  const size_t p1 = verifier_key.find('+');
  const size_t p2 = p1 == std::string_view::npos ? p1 : verifier_key.find('+', p1 + 1);
  if (p2 == std::string_view::npos)
    return InvalidArgument("a verifier key is <name>+<key id>+<key>");
  const std::string_view name = verifier_key.substr(0, p1);
  const std::string_view hex_id = verifier_key.substr(p1 + 1, p2 - p1 - 1);
  std::vector<uint8_t> key;
  if (!ValidKeyName(name) || hex_id.size() != 8 || !Unbase64(verifier_key.substr(p2 + 1), key) ||
      key.size() != 33 || key[0] != kAlgEd25519) {
    return InvalidArgument("malformed Ed25519 verifier key");
  }
  const auto id = KeyId(name, key.data() + 1);
  if (HexEncode(id.data(), id.size()) != hex_id)
    return InvalidArgument("the verifier key's id does not match its key");

  const size_t split = note.find("\n\n");
  if (split == std::string_view::npos || note.empty() || note.back() != '\n') {
    return InvalidArgument("malformed signed note (no blank line before the signatures)");
  }
  const std::string_view body = note.substr(0, split + 1);
  std::string_view sigs = note.substr(split + 2);
  bool saw_our_key = false;
  while (!sigs.empty()) {
    const size_t eol = sigs.find('\n');
    if (eol == std::string_view::npos) break;  // the note ends with '\n': cannot happen
    const std::string_view line = sigs.substr(0, eol);
    sigs.remove_prefix(eol + 1);
    if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
      return InvalidArgument("malformed signature line in signed note");
    }
    const std::string_view rest = line.substr(kSignaturePrefix.size());
    const size_t space = rest.find(' ');
    if (space == std::string_view::npos)
      return InvalidArgument("malformed signature line in signed note");
    std::vector<uint8_t> blob;
    if (rest.substr(0, space) != name || !Unbase64(rest.substr(space + 1), blob) ||
        blob.size() != 68 || !std::equal(id.begin(), id.end(), blob.begin())) {
      continue;  // another signer's line
    }
    saw_our_key = true;
    if (crypto_sign_verify_detached(blob.data() + 4,
                                    reinterpret_cast<const unsigned char*>(body.data()),
                                    body.size(), key.data() + 1) == 0) {
      return std::string(body);
    }
  }
  return DataLoss(saw_our_key ? "the note's signature does not verify (altered or forged)"
                              : "the note has no signature by " + std::string(name));
}

Result<Checkpoint> VerifyCheckpoint(std::string_view note, std::string_view verifier_key) {
  auto body = VerifyNote(note, verifier_key);
  if (!body.ok()) return body.status();
  const std::string& b = *body;
  const size_t l1 = b.find('\n');
  const size_t l2 = l1 == std::string::npos ? l1 : b.find('\n', l1 + 1);
  const size_t l3 = l2 == std::string::npos ? l2 : b.find('\n', l2 + 1);
  if (l3 == std::string::npos)
    return InvalidArgument("a checkpoint has origin, size and root lines");
  Checkpoint c;
  c.origin = b.substr(0, l1);
  const std::string size_text = b.substr(l1 + 1, l2 - l1 - 1);
  if (size_text.empty() || size_text.size() > 20 ||
      size_text.find_first_not_of("0123456789") != std::string::npos ||
      (size_text.size() > 1 && size_text[0] == '0')) {
    return InvalidArgument("malformed checkpoint size");
  }
  c.size = std::stoull(size_text);
  std::vector<uint8_t> root;
  if (!Unbase64(b.substr(l2 + 1, l3 - l2 - 1), root) || root.size() != 32) {
    return InvalidArgument("malformed checkpoint root hash");
  }
  std::copy(root.begin(), root.end(), c.root.begin());
  return c;
}

}  // namespace daulat::governance
