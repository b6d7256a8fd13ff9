// tmpfs_mount.h: a small tmpfs mounted for one test, to fill a disk for real
// (the one such helper of every test folder). Needs root (or CAP_SYS_ADMIN);
// where mounting is refused the test skips with why_not(). Unmounted when the
// object goes away.
#pragma once

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

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
      why_ = std::string("cannot mount a tmpfs here: ") + std::strerror(errno) + " (needs root)";
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

  // Writes <dir>/filler until the file system is full.
  void fill() const {
    std::ofstream f(dir_ + "/filler", std::ios::binary);
    std::vector<char> block(4096, 'x');
    while (f.write(block.data(), static_cast<std::streamsize>(block.size())) && f.flush()) {
    }
  }

 private:
  std::string dir_, why_;
  bool mounted_ = false;
};

}  // namespace xfer::testing
