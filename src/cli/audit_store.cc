#include "cli/audit_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

namespace daulat::cli {

std::filesystem::path DatabasePath(const std::filesystem::path& data_dir) {
  return data_dir / "daulat.db";
}
std::filesystem::path VerifierKeyPath(const std::filesystem::path& data_dir) {
  return data_dir / "audit" / "verifier.key";
}

Result<governance::CheckpointSigner> LoadOrCreateAuditSigner(
    const std::filesystem::path& data_dir) {
  const auto dir = data_dir / "audit";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return FailedPrecondition("cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  const auto seed_path = dir / "signing.seed";
  std::string seed;
  if (std::filesystem::exists(seed_path)) {
    std::ifstream in(seed_path, std::ios::binary);
    seed.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (seed.size() != 32) return DataLoss(seed_path.string() + " is not a 32-byte Ed25519 seed");
    return governance::CheckpointSigner::FromSeed("daulat-audit", seed);
  }
  auto signer = governance::CheckpointSigner::Generate("daulat-audit");
  if (!signer.ok()) return signer.status();
  // The seed never exists with wider permissions than its owner's.
  const int fd = ::open(seed_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return FailedPrecondition("cannot create " + seed_path.string());
  const std::string& s = signer->seed();
  const bool ok = ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
  ::close(fd);
  if (!ok) return FailedPrecondition("cannot write " + seed_path.string());
  std::ofstream(VerifierKeyPath(data_dir)) << signer->VerifierKey() << "\n";
  return signer;
}

}  // namespace daulat::cli
