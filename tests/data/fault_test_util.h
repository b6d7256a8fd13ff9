// fault_test_util.h: helpers of the data fault tests: damaging files in
// place and running a command in the background (a tmpfs to fill:
// tmpfs_mount.h).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "data_test_util.h"
#include "tmpfs_mount.h"

namespace xfer::test {

// Inverts `n` bytes of `path` at `offset` (as a bad disk or a stray write would).
inline void flip_bytes(const std::string& path, int64_t offset, int n) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f) << path;
  std::vector<char> b(static_cast<size_t>(n));
  f.seekg(offset);
  f.read(b.data(), n);
  for (auto& c : b) c = static_cast<char>(~c);
  f.seekp(offset);
  f.write(b.data(), n);
  ASSERT_TRUE(f) << path;
}

// The files in `dir` whose names hold ".tmp" (temporary files of writers).
inline std::vector<std::string> temp_files_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.path().filename().string().find(".tmp") != std::string::npos)
      out.push_back(e.path().string());
  return out;
}

// Starts `cmd` in the background; done() once it has exited, then rc() and
// output() (stdout and stderr together).
class Background {
 public:
  Background(const std::string& cmd, const std::string& scratch) : log_(scratch + ".log"), rc_file_(scratch + ".rc") {
    std::remove(rc_file_.c_str());
    const std::string line = "(" + cmd + " > " + log_ + " 2>&1; echo $? > " + rc_file_ + ".w; mv " +
                             rc_file_ + ".w " + rc_file_ + ") &";
    EXPECT_EQ(std::system(line.c_str()), 0);
  }
  bool done() const { return fs::exists(rc_file_); }
  // Waits up to `seconds` for the command to end; its exit status, or -1.
  int wait(double seconds = 120) const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!done() && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return done() ? std::stoi(read_file(rc_file_)) : -1;
  }
  std::string output() const { return read_file(log_); }

 private:
  std::string log_, rc_file_;
};

// Waits until `path` holds text (a lock file naming its holder); returns it.
inline std::string wait_for_holder(const std::string& path, double seconds = 30) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    std::string s = read_file(path);
    while (!s.empty() && s.back() == '\n') s.pop_back();
    if (!s.empty()) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return "";
}

}  // namespace xfer::test
