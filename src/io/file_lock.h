// file_lock.h: an exclusive lock on a folder's work, so that two processes
// never write the same files at once (two conversions into one folder, two
// runners on one cell, two trainers on one output folder).
//
// flock(2) on a small lock file that also holds "pid P on host H" of the
// holder, so a refused process can say who holds it. The kernel drops the lock
// when the holder dies (kill -9 included), so a stale lock file never blocks
// a rerun. The descriptor is close-on-exec: a child never inherits the lock.
// On NFS (v4, Linux >= 2.6.12) flock is emulated with byte-range locks and
// holds across clients; on Lustre it holds only when mounted with -o flock
// (with -o localflock it is per client node only). See README, "Locks".
#pragma once

#include <optional>
#include <string>

namespace xfer {

class FileLock {
 public:
  // Takes the lock on `path` (created if needed) without waiting. On refusal
  // returns nullopt and, if `holder` is given, sets it to "pid P on host H"
  // as written by the process that holds it ("another process" if unknown).
  static std::optional<FileLock> try_acquire(const std::string& path, std::string* holder = nullptr);
  // As try_acquire, but throws "<what> is being written by pid P on host H
  // (lock <path>)" when the lock is held.
  static FileLock acquire_or_throw(const std::string& path, const std::string& what);

  FileLock(FileLock&& o) noexcept;
  FileLock& operator=(FileLock&& o) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();  // releases; the lock file stays (removing it would race a waiter)

  const std::string& path() const { return path_; }

 private:
  FileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace xfer
