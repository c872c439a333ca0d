#include "store/blob_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/sha256.h"

namespace daulat::store {
namespace {

constexpr std::string_view kMagic = "DLB1";

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  }
  return true;
}

Status WriteFileAtomically(const std::filesystem::path& path, const std::string& data,
                           mode_t mode) {
  const std::string tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Unavailable("cannot write " + tmp);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      return Unavailable("writing " + tmp + " failed (disk full?)");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return Unavailable("cannot sync " + tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Unavailable("cannot rename " + tmp + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<BlobStore>> BlobStore::Open(const std::filesystem::path& dir) {
  if (sodium_init() < 0) return Internal("libsodium failed to initialise");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir.string() + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  auto store = std::unique_ptr<BlobStore>(new BlobStore(dir));
  const auto key_path = dir / "master.key";
  if (!std::filesystem::exists(key_path)) {
    std::string key(crypto_kdf_KEYBYTES, '\0');
    crypto_kdf_keygen(reinterpret_cast<unsigned char*>(key.data()));
    DAULAT_RETURN_IF_ERROR(WriteFileAtomically(key_path, key, 0600));
  }
  std::ifstream in(key_path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  store->master_ = ss.str();
  if (store->master_.size() != crypto_kdf_KEYBYTES)
    return DataLoss(key_path.string() + " is not a 32-byte key");
  return store;
}

std::string BlobStore::TenantKey(const std::string& tenant_id) const {
  // The subkey id is the first 8 bytes of the tenant id's SHA-256.
  const std::string digest = Sha256Hex(tenant_id);
  const uint64_t subkey = std::stoull(digest.substr(0, 16), nullptr, 16);
  std::string key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
  crypto_kdf_derive_from_key(reinterpret_cast<unsigned char*>(key.data()), key.size(), subkey,
                             "daulatbl", reinterpret_cast<const unsigned char*>(master_.data()));
  return key;
}

Result<std::filesystem::path> BlobStore::PathOf(const std::string& tenant_id,
                                                const std::string& id) const {
  if (!ValidId(id)) return InvalidArgument("a blob id is 1-128 of A-Z, a-z, 0-9, '_' and '-'");
  return dir_ / Sha256Hex(tenant_id).substr(0, 16) / id;
}

Status BlobStore::Put(const std::string& tenant_id, const std::string& id, std::string_view bytes) {
  auto path = PathOf(tenant_id, id);
  if (!path.ok()) return path.status();
  std::error_code ec;
  std::filesystem::create_directories(path->parent_path(), ec);
  if (ec) return Unavailable("cannot create " + path->parent_path().string());
  const std::string key = TenantKey(tenant_id);
  const std::string ad = tenant_id + '\0' + id;
  std::string out(kMagic);
  std::string nonce(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  out += nonce;
  const size_t header = out.size();
  out.resize(header + bytes.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.data() + header), &written,
      reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      reinterpret_cast<const unsigned char*>(nonce.data()),
      reinterpret_cast<const unsigned char*>(key.data()));
  out.resize(header + written);
  return WriteFileAtomically(*path, out, 0600);
}

Result<std::string> BlobStore::Get(const std::string& tenant_id, const std::string& id) const {
  auto path = PathOf(tenant_id, id);
  if (!path.ok()) return path.status();
  std::ifstream in(*path, std::ios::binary);
  if (!in) return NotFound("no blob " + id);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  const size_t header = kMagic.size() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (data.size() < header + crypto_aead_xchacha20poly1305_ietf_ABYTES ||
      data.compare(0, kMagic.size(), kMagic) != 0)
    return DataLoss("blob " + id + " is damaged");
  const std::string key = TenantKey(tenant_id);
  const std::string ad = tenant_id + '\0' + id;
  std::string out(data.size() - header, '\0');
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &n, nullptr,
          reinterpret_cast<const unsigned char*>(data.data() + header), data.size() - header,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
          reinterpret_cast<const unsigned char*>(data.data() + kMagic.size()),
          reinterpret_cast<const unsigned char*>(key.data())) != 0)
    return DataLoss("blob " + id + " does not decrypt (altered, or not this tenant's)");
  out.resize(n);
  return out;
}

Status BlobStore::Delete(const std::string& tenant_id, const std::string& id) {
  auto path = PathOf(tenant_id, id);
  if (!path.ok()) return path.status();
  std::error_code ec;
  std::filesystem::remove(*path, ec);
  if (ec) return Unavailable("cannot delete blob " + id + ": " + ec.message());
  return Status::Ok();
}

}  // namespace daulat::store
