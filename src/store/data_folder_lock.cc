#include "store/data_folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace daulat::store {

Result<DataFolderLock> DataFolderLock::Share(const std::filesystem::path& data_dir) {
  return Take(data_dir, "daulat.lock", true, false);
}

Result<DataFolderLock> DataFolderLock::Exclusive(const std::filesystem::path& data_dir) {
  return Take(data_dir, "daulat.lock", true, true);
}

Result<DataFolderLock> DataFolderLock::FirstServer(const std::filesystem::path& data_dir) {
  return Take(data_dir, "daulat.serve.lock", false, true);
}

Result<DataFolderLock> DataFolderLock::Take(const std::filesystem::path& data_dir, const char* name,
                                            bool for_writers, bool exclusive) {
  const std::filesystem::path path = data_dir / name;
  if (::access(data_dir.c_str(), W_OK) != 0 && errno == EROFS)
    return Unavailable("the data folder " + data_dir.string() +
                       " is read-only: daulat writes its database, audit log and documents "
                       "there; make it writable, or restore it elsewhere");
  // Read-only and 0644: flock needs no write access, so a lock file that
  // `sudo daulat ...` created still serves the folder's own user.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 && (errno == EACCES || errno == EPERM))
    return Unavailable("cannot open " + path.string() + ": " + std::strerror(errno) +
                       " (does the data folder belong to another user?)");
  if (fd < 0) return Unavailable("cannot open " + path.string() + ": " + std::strerror(errno));
  int rc = 0;
  do {
    rc = ::flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return DataFolderLock(fd);
  const int error = errno;
  ::close(fd);
  if (error != EWOULDBLOCK)
    return Unavailable("cannot lock " + path.string() + ": " + std::strerror(error));
  if (!for_writers)
    return FailedPrecondition("another daulat serve has the data folder " + data_dir.string());
  if (exclusive)
    return FailedPrecondition("the data folder " + data_dir.string() +
                              " is in use (daulat serve or another daulat command): stop it "
                              "first");
  return FailedPrecondition("daulat doctor --repair is working on the data folder " +
                            data_dir.string() + ": try again when it has finished");
}

DataFolderLock& DataFolderLock::operator=(DataFolderLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DataFolderLock::~DataFolderLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace daulat::store
