// tmpfs_mount.h: a small tmpfs mounted for one test, to fill a disk for real.
// Needs root (or CAP_SYS_ADMIN); where mounting is refused the test skips
// with a message. Unmounted when the object goes away.
#pragma once

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace xfer::testing {

class TmpfsMount {
 public:
  // Mounts a tmpfs of `megabytes` at a fresh folder named after `name`.
  TmpfsMount(const std::string& name, int megabytes) {
    dir_ = (std::filesystem::temp_directory_path() /
            ("xfer_tmpfs_" + name + "_" + std::to_string(::getpid())))
               .string();
    std::filesystem::create_directories(dir_);
    const std::string opts = "size=" + std::to_string(megabytes) + "m";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) == 0)
      mounted_ = true;
    else
      why_ = std::string("cannot mount a tmpfs here: ") + std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, why_;
  bool mounted_ = false;
};

}  // namespace xfer::testing
