#pragma once

#include <filesystem>

#include "common/status.h"

namespace daulat::store {

// Who may write the data folder at once, by an advisory lock (flock) on
// <data>/daulat.lock held for the object's life and dropped by the kernel
// when the process dies, so a crash never leaves the folder locked.
// Every process that writes the folder (the server, CLI commands) shares the
// lock; repairs (`daulat doctor --repair`) hold it alone, so a repair never
// mistakes a writer's half-done upload for debris.
class DataFolderLock {
 public:
  // Neither waits: FAILED_PRECONDITION, saying why, when the other kind is held.
  static Result<DataFolderLock> Share(const std::filesystem::path& data_dir);
  static Result<DataFolderLock> Exclusive(const std::filesystem::path& data_dir);
  // A second lock (<data>/daulat.serve.lock), held alone by the first
  // `daulat serve` on the folder for its life: only that server may take
  // over jobs an earlier process left running.
  static Result<DataFolderLock> FirstServer(const std::filesystem::path& data_dir);

  DataFolderLock(DataFolderLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataFolderLock& operator=(DataFolderLock&& other) noexcept;
  DataFolderLock(const DataFolderLock&) = delete;
  DataFolderLock& operator=(const DataFolderLock&) = delete;
  ~DataFolderLock();

 private:
  explicit DataFolderLock(int fd) : fd_(fd) {}
  static Result<DataFolderLock> Take(const std::filesystem::path& data_dir, const char* name,
                                     bool for_writers, bool exclusive);
  int fd_ = -1;
};

}  // namespace daulat::store
