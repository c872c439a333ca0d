#include "store/blob_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
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

// A full disk and a read-only folder say so: the operator's next step
// differs from a failing disk's.
Status WriteFailure(const std::string& what, int error) {
  const std::string detail = what + " failed: " + std::strerror(error);
  if (error == ENOSPC || error == EDQUOT)
    return StorageFull("the disk holding the documents is full; the document was not stored (" +
                       detail + ")");
  if (error == EROFS || error == EACCES || error == EPERM)
    return Unavailable("the documents' folder is read-only; the document was not stored (" +
                       detail + ")");
  return Unavailable(detail);
}

Status WriteFileAtomically(const std::filesystem::path& path, const std::string& data,
                           mode_t mode) {
  const std::string tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return WriteFailure("creating a blob", errno);
  // A failed write leaves nothing behind to fill the disk further.
  const auto fail = [&tmp](const std::string& what) {
    const int error = errno;
    ::unlink(tmp.c_str());
    return WriteFailure(what + " a blob", error);
  };
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      Status failed = fail("writing");
      ::close(fd);
      return failed;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status failed = fail("syncing");
    ::close(fd);
    return failed;
  }
  if (::close(fd) != 0) return fail("closing");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("renaming");
  // The rename itself survives a power cut only once the folder is synced:
  // the database may name this blob as soon as Put returns.
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return Unavailable("cannot open the documents' folder to sync it");
  const int synced = ::fsync(dir);
  ::close(dir);
  if (synced != 0) return Unavailable("cannot sync the documents' folder");
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

std::string BlobStore::FolderOf(const std::string& tenant_id) {
  return Sha256Hex(tenant_id).substr(0, 16);
}

Result<std::vector<StoredBlob>> BlobStore::List() const {
  std::vector<StoredBlob> out;
  std::error_code ec;
  for (auto folder = std::filesystem::directory_iterator(dir_, ec);
       !ec && folder != std::filesystem::directory_iterator(); folder.increment(ec)) {
    // Only what this store writes: tenant folders (16 hex digits) and blob
    // files, never a link or anything an operator put beside them.
    const std::string folder_name = folder->path().filename().string();
    if (folder->is_symlink() || !folder->is_directory() || folder_name.size() != 16 ||
        folder_name.find_first_not_of("0123456789abcdef") != std::string::npos)
      continue;
    for (auto file = std::filesystem::directory_iterator(folder->path(), ec);
         !ec && file != std::filesystem::directory_iterator(); file.increment(ec)) {
      std::string id = file->path().filename().string();
      if (id.size() > 4 && id.compare(id.size() - 4, 4, ".tmp") == 0) id.resize(id.size() - 4);
      if (file->is_symlink() || !file->is_regular_file() || !ValidId(id)) continue;
      std::error_code size_ec, time_ec;
      const uintmax_t bytes = std::filesystem::file_size(file->path(), size_ec);
      const auto written = std::filesystem::last_write_time(file->path(), time_ec);
      const auto age = std::filesystem::file_time_type::clock::now() - written;
      out.push_back(StoredBlob{
          folder->path().filename().string(), file->path().filename().string(), size_ec ? 0 : bytes,
          time_ec ? 0 : std::chrono::duration_cast<std::chrono::seconds>(age).count()});
    }
    if (ec) break;
  }
  if (ec) return Unavailable("cannot list " + dir_.string() + ": " + ec.message());
  return out;
}

Status BlobStore::Discard(const StoredBlob& blob) {
  // Names come from List(); anything that could leave the store is refused.
  const auto plain = [](const std::string& n) {
    return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos;
  };
  if (!plain(blob.folder) || !plain(blob.name))
    return InvalidArgument("not a stored blob: " + blob.folder + "/" + blob.name);
  std::error_code ec;
  std::filesystem::remove(dir_ / blob.folder / blob.name, ec);
  if (ec)
    return Unavailable("cannot remove " + blob.folder + "/" + blob.name + ": " + ec.message());
  return Status::Ok();
}

Result<std::filesystem::path> BlobStore::PathOf(const std::string& tenant_id,
                                                const std::string& id) const {
  if (!ValidId(id)) return InvalidArgument("a blob id is 1-128 of A-Z, a-z, 0-9, '_' and '-'");
  return dir_ / FolderOf(tenant_id) / id;
}

Status BlobStore::Put(const std::string& tenant_id, const std::string& id, std::string_view bytes) {
  auto path = PathOf(tenant_id, id);
  if (!path.ok()) return path.status();
  std::error_code ec;
  const bool created = std::filesystem::create_directories(path->parent_path(), ec);
  if (ec) return WriteFailure("creating a tenant's folder", ec.value());
  if (created) {  // the new folder's entry, too, must survive a power cut
    const int dir = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || ::fsync(dir) != 0) {
      if (dir >= 0) ::close(dir);
      return Unavailable("cannot sync the documents' folder");
    }
    ::close(dir);
  }
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
