// atomic_file.cpp: checked temp-then-rename writes (see atomic_file.h).
#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/check.h"
#include "io/file_lock.h"

namespace fs = std::filesystem;

namespace xfer {

std::string temp_path_for(const std::string& path) {
  return path + ".tmp." + this_host() + "." + std::to_string(::getpid());
}

namespace {

std::string folder_of(const std::string& path) {
  const fs::path p = fs::path(path).parent_path();
  return p.empty() ? "." : p.string();
}

std::string mb(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MB"; }

void fsync_folder(const std::string& path) {
  const int fd = ::open(folder_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // some file systems refuse; the rename is still atomic
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

uint64_t free_bytes(const std::string& path) {
  struct statvfs s {};
  if (::statvfs(folder_of(path).c_str(), &s) != 0) return UINT64_MAX;
  return uint64_t(s.f_bavail) * s.f_frsize;
}

std::string write_failure_message(const std::string& path, int err, uint64_t bytes_needed) {
  const uint64_t avail = free_bytes(path);
  if (err == ENOSPC || err == EDQUOT || (bytes_needed > 0 && avail < bytes_needed)) {
    std::string m = "no space left on device writing " + path;
    if (bytes_needed > 0) m += " (about " + mb(bytes_needed) + " needed, " + mb(avail) + " free)";
    else if (avail != UINT64_MAX) m += " (" + mb(avail) + " free)";
    return m;
  }
  return "cannot write " + path + ": " + std::strerror(err ? err : EIO);
}

void write_all(int fd, const void* data, size_t size, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, p + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) XFER_FAIL(write_failure_message(path, n < 0 ? errno : ENOSPC, size));
    done += size_t(n);
  }
}

void fsync_checked(int fd, const std::string& path) {
  if (::fsync(fd) != 0 && errno != EINVAL) XFER_FAIL(write_failure_message(path, errno));
}

void commit_file(const std::string& tmp, const std::string& path) {
  auto fail = [&](const std::string& what) {
    std::remove(tmp.c_str());
    XFER_FAIL(what);
  };
  const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot reopen " + tmp + " to commit it: " + std::strerror(errno));
  const bool synced = ::fsync(fd) == 0 || errno == EINVAL;
  const int sync_err = errno;
  if (::close(fd) != 0 || !synced) fail(write_failure_message(path, synced ? errno : sync_err));
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    fail("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  fsync_folder(path);
}

void write_file_checked(const std::string& tmp, const void* data, size_t size,
                        const std::string& path) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  XFER_CHECK(fd >= 0, write_failure_message(path, errno, size));
  try {
    write_all(fd, data, size, path);
    fsync_checked(fd, path);
  } catch (...) {
    ::close(fd);
    std::remove(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    XFER_FAIL(write_failure_message(path, e, size));
  }
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
  write_file_atomic(path, data, size, nullptr);
}

void write_file_atomic(const std::string& path, const void* data, size_t size,
                       const std::function<void(const std::string& tmp)>& check) {
  const std::string tmp = temp_path_for(path);
  write_file_checked(tmp, data, size, path);
  if (check) {
    try {
      check(tmp);
    } catch (...) {
      std::remove(tmp.c_str());
      throw;
    }
  }
  commit_file(tmp, path);
}

void write_file_atomic(const std::string& path, const std::string& content) {
  write_file_atomic(path, content.data(), content.size());
}

int remove_stale_temps(const std::string& path) {
  const fs::path p(path);
  const std::string prefix = p.filename().string() + ".tmp";
  const std::string mine = fs::path(temp_path_for(path)).filename().string();
  std::error_code ec;
  int removed = 0;
  for (const auto& e : fs::directory_iterator(folder_of(path), ec)) {
    const std::string name = e.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0 || name == mine) continue;
    if (fs::remove(e.path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace xfer
