// file_lock.cpp: flock-based folder locks (see file_lock.h).
#include "io/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/check.h"

namespace xfer {


namespace {

std::string read_text(int fd) {
  char buf[256] = {0};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s(buf, n > 0 ? size_t(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

// The holder writes its name just after it takes the lock, so a lock taken
// a moment ago may still read empty: look again for a little while.
std::string read_holder(int fd) {
  std::string s = read_text(fd);
  for (int tries = 0; s.empty() && tries < 50; ++tries) {
    ::usleep(10000);
    s = read_text(fd);
  }
  return s.empty() ? "another process" : s;
}

void write_holder(int fd) {
  const std::string me = "pid " + std::to_string(::getpid()) + " on host " + this_host() + "\n";
  // Best effort: the lock itself is what protects; the text only explains.
  if (::ftruncate(fd, 0) == 0 && ::pwrite(fd, me.data(), me.size(), 0) < 0) {
  }
}

}  // namespace

std::optional<FileLock> FileLock::try_acquire(const std::string& path, std::string* holder) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  XFER_CHECK(fd >= 0, "cannot open lock file " << path << ": " << std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    if (holder) *holder = read_holder(fd);
    ::close(fd);
    XFER_CHECK(e == EWOULDBLOCK, "cannot lock " << path << ": " << std::strerror(e)
                                                << " (a file system without flock?)");
    return std::nullopt;
  }
  write_holder(fd);
  return FileLock(path, fd);
}

FileLock FileLock::acquire_or_throw(const std::string& path, const std::string& what) {
  std::string holder;
  auto lock = try_acquire(path, &holder);
  XFER_CHECK(lock, what << " is being written by " << holder << " (lock " << path << ")");
  return std::move(*lock);
}

FileLock::FileLock(FileLock&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_) { o.fd_ = -1; }

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    // Clear the holder text first, so a later reader never names a dead pid.
    if (::ftruncate(fd_, 0) != 0) {
    }
    ::close(fd_);
  }
}

}  // namespace xfer
