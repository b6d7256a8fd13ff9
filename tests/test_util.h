// test_util.h: what every test folder needs: a scratch folder that removes
// itself, reading a whole file, the message of an exception, and running a
// shell command with its exit status and output.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>

namespace xfer::testing {

// A fresh folder under the system temp dir, removed with everything in it
// when the object goes away. `tag` only makes the name readable.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("xfer_" + tag + "_XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot make a folder " + tmpl);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// A folder named after `name` and this process, emptied if it exists and left
// in place afterwards (for a test whose files are worth reading when it fails).
inline std::string temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("xfer_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

// The whole of the file at `p` ("" when it cannot be read).
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The message of what `fn` throws ("" when it does not).
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

struct Outcome {
  int code = -1;  // the exit status; -1 when the command did not exit (a signal)
  std::string out, err;
};

// Runs `cmd` with /bin/sh; its exit status and what it wrote on stdout and on
// stderr, each in full.
inline Outcome run_command(const std::string& cmd) {
  TempDir scratch("cmd");
  const auto o = scratch.path() / "stdout", e = scratch.path() / "stderr";
  const int rc = std::system(("(" + cmd + "\n) >" + o.string() + " 2>" + e.string()).c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_file(o), read_file(e)};
}

// The same with stderr joined to stdout, in the order written (as a terminal
// shows them), in `*output` when given; returns the exit status.
inline int run_command(const std::string& cmd, std::string* output) {
  Outcome r = run_command("(" + cmd + "\n) 2>&1");
  if (output) *output = std::move(r.out);
  return r.code;
}

}  // namespace xfer::testing
