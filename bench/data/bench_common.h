// bench_common.h: shared bits of the data benchmarks: a scratch folder,
// running a peer command (a Python one, timed inside Python), and the result
// table.
#pragma once

#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace xfer::bench {

namespace fs = std::filesystem;

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Row {
  std::string name;
  int threads = 1;
  int64_t images = 0;
  double seconds = 0;
  std::string note;
};

inline void print_table(const char* title, const std::vector<Row>& rows) {
  std::printf("\n%s\n", title);
  std::printf("%-44s %7s %7s %9s %10s %12s  %s\n", "implementation", "threads", "images", "seconds",
              "images/s", "per core", "");
  for (const auto& r : rows) {
    if (r.seconds <= 0) {
      std::printf("%-44s %7s %7s %9s %10s %12s  %s\n", r.name.c_str(), "-", "-", "-", "-", "-",
                  r.note.c_str());
      continue;
    }
    const double rate = static_cast<double>(r.images) / r.seconds;
    std::printf("%-44s %7d %7lld %9.3f %10.1f %12.1f  %s\n", r.name.c_str(), r.threads,
                static_cast<long long>(r.images), r.seconds, rate, rate / r.threads,
                r.note.c_str());
  }
}

// Runs a command, returns its stdout (and whether it exited 0).
inline bool capture(const std::string& cmd, std::string& out) {
  out.clear();
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return false;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  return ::pclose(p) == 0;
}

inline std::string find_python(const std::string& modules) {
  std::string out;
  for (const char* py : {"/usr/bin/python3", "python3"})
    if (capture(std::string(py) + " -c 'import " + modules + "'", out)) return py;
  return {};
}

// Pins this process (and what it starts) to one CPU while alive, so a
// "1 thread" row really uses one core, helper threads included.
class OneCore {
 public:
  OneCore() {
    CPU_ZERO(&saved_);
    if (sched_getaffinity(0, sizeof saved_, &saved_) != 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &saved_)) {
        CPU_SET(c, &one);
        break;
      }
    pinned_ = sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~OneCore() {
    if (pinned_) sched_setaffinity(0, sizeof saved_, &saved_);
  }

 private:
  cpu_set_t saved_;
  bool pinned_ = false;
};

// A peer written in Python: `script` is saved as `path` and run on one core,
// after `env` and before `args`; it prints "<images> <seconds>", timed inside
// Python. `modules` are what it imports (without them the row says so).
inline Row python_peer(const std::string& name, const std::string& modules, const fs::path& path,
                       const char* script, const std::string& env, const std::string& args) {
  const std::string py = find_python(modules);
  if (py.empty()) return {name, 1, 0, 0, "not run: no python3 with " + modules};
  std::ofstream(path) << script;
  std::string out;
  OneCore pin;
  if (!capture(env + " " + py + " " + path.string() + " " + args, out)) return {name, 1, 0, 0, "failed: " + out};
  long long n = 0;
  double t = 0;
  std::sscanf(out.c_str(), "%lld %lf", &n, &t);
  return {name, 1, n, t, "timed inside Python"};
}

struct Scratch {
  fs::path path;
  bool keep = false;
  explicit Scratch(const std::string& tag) {
    path = fs::temp_directory_path() / (tag + "_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Scratch() {
    std::error_code ec;
    if (!keep) fs::remove_all(path, ec);
  }
};

}  // namespace xfer::bench
