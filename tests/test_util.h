// test_util.h: what every test folder needs, each once: a scratch folder
// that removes itself, reading and writing a whole file, counting a text's
// occurrences, the message of an exception, the folder of the built
// programs, and running a shell command with its exit status and output.
// (A tmpfs to fill is tmpfs_mount.h.)
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

// The whole of the file at `p` ("" when it cannot be read).
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes `text` to `p` as it is, making the folders above it.
inline void write_text(const std::filesystem::path& p, const std::string& text) {
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// How many times `what` occurs in `text` (overlapping ones too).
inline size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Where the built programs are: $XFER_BIN_DIR (test_env.cpp sets it to the
// build's bin/ unless given), else beside this test (every executable lands
// in one folder).
inline std::string bin_dir() {
  const char* b = std::getenv("XFER_BIN_DIR");
  if (b && *b) return b;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
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

// A shell prefix that bounds the memory of the command after it to `mb`
// megabytes, so that a regression that allocates without bound fails its test,
// not the machine: an address-space limit (RLIMIT_AS) in a plain build; under
// AddressSanitizer or ThreadSanitizer, which reserve terabytes of address space
// at start, the sanitizer's own cap on any one allocation instead.
inline std::string memory_limit_prefix(long mb) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const char* asan = std::getenv("ASAN_OPTIONS");
  const char* tsan = std::getenv("TSAN_OPTIONS");
  const std::string cap = "malloc_limit_mb=" + std::to_string(mb);
  return "ASAN_OPTIONS='" + std::string(asan ? asan : "") + ":" + cap + "' TSAN_OPTIONS='" +
         std::string(tsan ? tsan : "") + ":" + cap + "' ";
#else
  return "ulimit -v " + std::to_string(mb * 1024) + "; ";
#endif
}

}  // namespace xfer::testing
