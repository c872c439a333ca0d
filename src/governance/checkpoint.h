#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "governance/merkle_tree.h"

namespace daulat::governance {

// A log's signed statement of its size and root hash, in the C2SP checkpoint
// format (c2sp.org/tlog-checkpoint) inside a C2SP signed note
// (c2sp.org/signed-note) with an Ed25519 signature:
//
//   <origin>\n<size>\n<base64 root>\n\n— <key name> <base64(key id || signature)>\n
//
// Anyone holding the verifier key can check it offline, and a later
// checkpoint plus a consistency proof shows the log only grew.
struct Checkpoint {
  std::string origin;  // the log's name, e.g. "daulat.example.gov.my/audit"
  uint64_t size = 0;
  Hash root{};
};

// Signs checkpoints with an Ed25519 key. Holds the secret key in memory.
class CheckpointSigner {
 public:
  // `name` is the key name in signature lines (no spaces or '+').
  // INVALID_ARGUMENT for a bad name or a seed that is not 32 bytes.
  static Result<CheckpointSigner> FromSeed(const std::string& name, std::string_view seed32);
  static Result<CheckpointSigner> Generate(const std::string& name);

  std::string Sign(const Checkpoint& checkpoint) const;  // the whole signed note
  // "<name>+<hex key id>+<base64(0x01 || public key)>", the form verifiers are given.
  std::string VerifierKey() const;
  const std::string& seed() const { return seed_; }

 private:
  CheckpointSigner() = default;
  std::string name_;
  std::string seed_;                  // 32 bytes
  std::array<uint8_t, 64> secret_{};  // libsodium's expanded secret key
  std::array<uint8_t, 32> public_{};
};

// Checks a signed note against a verifier key and returns the checkpoint it
// carries. DATA_LOSS when the signature does not verify or the note was
// altered; INVALID_ARGUMENT for malformed notes or keys.
Result<Checkpoint> VerifyCheckpoint(std::string_view note, std::string_view verifier_key);

// Lower level, for other signed notes: the text before the signatures when
// one of them verifies under `verifier_key`.
Result<std::string> VerifyNote(std::string_view note, std::string_view verifier_key);

}  // namespace daulat::governance
