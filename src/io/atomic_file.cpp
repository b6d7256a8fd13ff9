// atomic_file.cpp: temp-then-rename writes.
#include "io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/check.h"

namespace xfer {

std::string temp_path_for(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

void commit_file(const std::string& tmp, const std::string& path) {
  int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    XFER_FAIL("cannot rename " << tmp << " to " << path << ": " << std::strerror(e));
  }
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = temp_path_for(path);
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    XFER_CHECK(f, "cannot write " << tmp << ": " << std::strerror(errno));
    f << content;
    f.flush();
    XFER_CHECK(f, "error writing " << tmp << " (disk full?)");
  }
  commit_file(tmp, path);
}

}  // namespace xfer
