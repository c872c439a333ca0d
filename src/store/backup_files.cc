#include "store/backup_files.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/base64.h"
#include "common/sha256.h"

namespace daulat::store::internal {
namespace {

constexpr char kMagic[8] = {'D', 'A', 'U', 'L', 'A', 'T', 'B', '1'};
constexpr size_t kChunk = size_t{64} * 1024;
constexpr size_t kHeader = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kAbytes = crypto_secretstream_xchacha20poly1305_ABYTES;
// What daulat writes for a passphrase (about a second, 256 MiB), and the most
// it accepts from a manifest.
constexpr unsigned long long kOps = crypto_pwhash_OPSLIMIT_MODERATE;
constexpr size_t kMem = crypto_pwhash_MEMLIMIT_MODERATE;
constexpr unsigned long long kMaxOps = crypto_pwhash_OPSLIMIT_SENSITIVE;
constexpr size_t kMaxMem = crypto_pwhash_MEMLIMIT_SENSITIVE;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  Status Close(const std::filesystem::path& path) {
    const int fd = fd_;
    fd_ = -1;
    if (::fsync(fd) != 0 || ::close(fd) != 0)
      return Internal("cannot write " + path.string() + ": " + std::strerror(errno));
    return Status::Ok();
  }

 private:
  int fd_;
};

Status WriteAll(int fd, const unsigned char* data, size_t n, const std::filesystem::path& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Internal("cannot write " + path.string() + ": " + std::strerror(errno));
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

// Reads up to `n` bytes (fewer only at the end of the file).
Result<size_t> ReadUpTo(int fd, unsigned char* data, size_t n, const std::filesystem::path& path) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, data + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Internal("cannot read " + path.string() + ": " + std::strerror(errno));
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

// Opens a regular file only: not through a final symbolic link, and without
// blocking on a FIFO (refused after the open, like devices and folders).
Result<int> OpenRead(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0 && errno == ENOENT) return NotFound(path.string() + " is missing");
  if (fd < 0 && errno == ELOOP) return DataLoss(path.string() + " is a symbolic link");
  if (fd < 0) return Internal("cannot open " + path.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return DataLoss(path.string() + " is not a regular file");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

Result<int> OpenWrite(const std::filesystem::path& path) {
  if (path.empty()) return -1;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Internal("cannot create " + path.string() + ": " + std::strerror(errno));
  return fd;
}

class Hasher {
 public:
  Hasher() { crypto_hash_sha256_init(&state_); }
  void Add(const unsigned char* data, size_t n) {
    crypto_hash_sha256_update(&state_, data, n);
    size_ += n;
  }
  uint64_t size() const { return size_; }
  CopyResult Done() {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state_, digest);
    return {size_, HexEncode(digest, sizeof digest)};
  }

 private:
  crypto_hash_sha256_state state_{};
  uint64_t size_ = 0;
};

const unsigned char* Bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

Result<SealingKey> NewSealingKey(const BackupSecret& secret) {
  if (secret.key) return SealingKey{*secret.key, {{"alg", "key-file"}}};
  unsigned char salt[crypto_pwhash_SALTBYTES];
  randombytes_buf(salt, sizeof salt);
  return SealingKeyFor({{"alg", "argon2id13"},
                        {"salt", Base64(salt, sizeof salt)},
                        {"opslimit", kOps},
                        {"memlimit", kMem}},
                       secret);
}

Result<SealingKey> SealingKeyFor(const nlohmann::json& kdf, const BackupSecret& secret) {
  const std::string alg = kdf.is_object() ? kdf.value("alg", "") : "";
  if (alg == "key-file") {
    if (!secret.key)
      return PermissionDenied("this backup is sealed with a key file: give --key-file");
    return SealingKey{*secret.key, kdf};
  }
  if (alg != "argon2id13")
    return InvalidArgument("the backup's key derivation is not one daulat knows");
  if (!secret.passphrase)
    return PermissionDenied("this backup is sealed with a passphrase: give --passphrase-file");
  std::vector<uint8_t> salt;
  const auto ops = kdf.value("opslimit", uint64_t{0});
  const auto mem = kdf.value("memlimit", uint64_t{0});
  if (!kdf.contains("salt") || !kdf["salt"].is_string() ||
      !Unbase64(kdf["salt"].get<std::string>(), salt) || salt.size() != crypto_pwhash_SALTBYTES ||
      ops < crypto_pwhash_OPSLIMIT_MIN || ops > kMaxOps || mem < crypto_pwhash_MEMLIMIT_MIN ||
      mem > kMaxMem)
    return InvalidArgument("the backup's key derivation parameters are out of range");
  std::string key(crypto_secretstream_xchacha20poly1305_KEYBYTES, '\0');
  if (crypto_pwhash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                    secret.passphrase->data(), secret.passphrase->size(), salt.data(), ops,
                    static_cast<size_t>(mem), crypto_pwhash_ALG_ARGON2ID13) != 0)
    return ResourceExhausted("not enough memory to derive the backup key from the passphrase");
  return SealingKey{std::move(key), kdf};
}

std::string KeyCheck(const std::string& key, const std::string& backup_id) {
  const std::string label = "daulat backup key check\n" + backup_id;
  unsigned char out[16];
  crypto_generichash(out, sizeof out, Bytes(label), label.size(), Bytes(key), key.size());
  return HexEncode(out, sizeof out);
}

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  return HexEncode(buf.data(), buf.size());
}

Status WriteSmallFile(const std::filesystem::path& path, const std::string& text) {
  auto fd = OpenWrite(path);
  if (!fd.ok()) return fd.status();
  Fd out(*fd);
  DAULAT_RETURN_IF_ERROR(WriteAll(out.get(), Bytes(text), text.size(), path));
  return out.Close(path);
}

std::string SealText(const std::string& key, const std::string& text, const std::string& label) {
  std::string out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + text.size() +
                      crypto_aead_xchacha20poly1305_ietf_ABYTES,
                  '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                             &n, Bytes(text), text.size(), Bytes(label),
                                             label.size(), nullptr, nonce, Bytes(key));
  return Base64(out.data(), out.size());
}

Result<std::string> OpenText(const std::string& key, const std::string& sealed,
                             const std::string& label) {
  std::vector<uint8_t> in;
  if (!Unbase64(sealed, in) || in.size() < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES +
                                               crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return DataLoss("the backup's manifest is damaged");
  const size_t body = in.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string out(body - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &n, nullptr,
          in.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, body, Bytes(label),
          label.size(), in.data(), Bytes(key)) != 0)
    return DataLoss("the backup's manifest does not authenticate: it was altered");
  out.resize(n);
  return out;
}

Result<CopyResult> CopyIn(const std::filesystem::path& from, const std::filesystem::path& to,
                          const std::string& key, const std::string& label, const CopyStep& step,
                          uint64_t max_size) {
  auto in_fd = OpenRead(from);
  if (!in_fd.ok()) return in_fd.status();
  Fd in(*in_fd);
  auto out_fd = OpenWrite(to);
  if (!out_fd.ok()) return out_fd.status();
  Fd out(*out_fd);
  crypto_secretstream_xchacha20poly1305_state state;
  if (!key.empty() && out.get() >= 0) {
    unsigned char header[kHeader];
    crypto_secretstream_xchacha20poly1305_init_push(&state, header, Bytes(key));
    DAULAT_RETURN_IF_ERROR(
        WriteAll(out.get(), reinterpret_cast<const unsigned char*>(kMagic), sizeof kMagic, to));
    DAULAT_RETURN_IF_ERROR(WriteAll(out.get(), header, sizeof header, to));
  }
  Hasher hash;
  std::vector<unsigned char> buf(kChunk), sealed(kChunk + kAbytes);
  for (;;) {
    auto got = ReadUpTo(in.get(), buf.data(), kChunk, from);
    if (!got.ok()) return got.status();
    hash.Add(buf.data(), *got);
    const bool last = *got < kChunk;
    if (out.get() >= 0 && key.empty()) {
      DAULAT_RETURN_IF_ERROR(WriteAll(out.get(), buf.data(), *got, to));
    } else if (out.get() >= 0) {
      unsigned long long n = 0;
      crypto_secretstream_xchacha20poly1305_push(
          &state, sealed.data(), &n, buf.data(), *got, Bytes(label), label.size(),
          last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
      DAULAT_RETURN_IF_ERROR(WriteAll(out.get(), sealed.data(), static_cast<size_t>(n), to));
    }
    if (step) step(*got);
    if (last || hash.size() > max_size) break;
  }
  if (out.get() >= 0) DAULAT_RETURN_IF_ERROR(out.Close(to));
  return hash.Done();
}

Result<CopyResult> CopyOut(const std::filesystem::path& from, const std::filesystem::path& to,
                           const std::string& key, const std::string& label, uint64_t max_size,
                           const CopyStep& step) {
  if (key.empty()) {
    // A plain copy stops as soon as the file runs past its manifest size.
    auto copied = CopyIn(from, to, "", label, step, max_size);
    if (copied.ok() && copied->size > max_size)
      return DataLoss(label + " in the backup is longer than its manifest says");
    return copied;
  }
  auto in_fd = OpenRead(from);
  if (!in_fd.ok()) return in_fd.status();
  Fd in(*in_fd);
  unsigned char head[sizeof kMagic + kHeader];
  auto got = ReadUpTo(in.get(), head, sizeof head, from);
  if (!got.ok()) return got.status();
  crypto_secretstream_xchacha20poly1305_state state;
  if (*got != sizeof head || std::memcmp(head, kMagic, sizeof kMagic) != 0 ||
      crypto_secretstream_xchacha20poly1305_init_pull(&state, head + sizeof kMagic, Bytes(key)) !=
          0)
    return DataLoss(label + ": not a sealed backup file (damaged or truncated)");
  auto out_fd = OpenWrite(to);
  if (!out_fd.ok()) return out_fd.status();
  Fd out(*out_fd);
  Hasher hash;
  std::vector<unsigned char> sealed(kChunk + kAbytes), plain(kChunk);
  for (bool final = false; !final;) {
    auto n = ReadUpTo(in.get(), sealed.data(), sealed.size(), from);
    if (!n.ok()) return n.status();
    unsigned long long plain_n = 0;
    unsigned char tag = 0;
    if (*n < kAbytes || crypto_secretstream_xchacha20poly1305_pull(&state, plain.data(), &plain_n,
                                                                   &tag, sealed.data(), *n,
                                                                   Bytes(label), label.size()) != 0)
      return DataLoss(label + ": altered, truncated or not this file (it does not authenticate)");
    final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    if (!final && *n < sealed.size()) return DataLoss(label + ": truncated");
    hash.Add(plain.data(), static_cast<size_t>(plain_n));
    if (hash.size() > max_size)
      return DataLoss(label + " in the backup is longer than its manifest says");
    if (out.get() >= 0)
      DAULAT_RETURN_IF_ERROR(WriteAll(out.get(), plain.data(), static_cast<size_t>(plain_n), to));
    if (step) step(plain_n);
  }
  unsigned char extra = 0;
  auto more = ReadUpTo(in.get(), &extra, 1, from);
  if (!more.ok()) return more.status();
  if (*more != 0) return DataLoss(label + ": bytes after its end (altered)");
  if (out.get() >= 0) DAULAT_RETURN_IF_ERROR(out.Close(to));
  return hash.Done();
}

void SyncFolder(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace daulat::store::internal
