// write_lock.cpp: the root and part locks of a data root (see write_lock.h).
#include "data_prep/write_lock.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <thread>

#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

const char* kRootLock = ".lock";
const char* kPartPrefix = ".lock.part-";

}  // namespace

int remove_stale_temps_in(const std::string& dir) {
  std::set<std::string> bases;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const auto at = name.find(".tmp");
    if (at != std::string::npos && at > 0) bases.insert(name.substr(0, at));
  }
  int removed = 0;
  for (const auto& b : bases) removed += remove_stale_temps(dir + "/" + b);
  return removed;
}

RootWriteLock lock_data_root(const std::string& root) {
  fs::create_directories(root);
  RootWriteLock held;
  held.locks.push_back(FileLock::acquire_or_throw(root + "/" + kRootLock, root));
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kPartPrefix, 0) == 0)
      held.locks.push_back(FileLock::acquire_or_throw(e.path().string(), root));
  }
  // Every writer of this root is excluded now: all temporary files are dead ones'.
  int removed = remove_stale_temps_in(root);
  // Not through a symlink: a store shared from elsewhere has its own writers.
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && !e.is_symlink()) removed += remove_stale_temps_in(e.path().string());
  if (removed > 0)
    std::fprintf(stderr, "removed %d temporary file%s left under %s by a writer that stopped\n",
                 removed, removed == 1 ? "" : "s", root.c_str());
  return held;
}

FileLock lock_convert_part(const std::string& root, int part, int parts) {
  fs::create_directories(root);
  const std::string mine = root + "/" + kPartPrefix + std::to_string(part) + "-of-" +
                           std::to_string(parts);
  FileLock lock = FileLock::acquire_or_throw(mine, root);
  // The other parts of this conversion hold the root lock for a moment each
  // while they check it too: only a holder that keeps it (a derive) refuses.
  std::string holder;
  for (int attempt = 0; attempt < 40; ++attempt) {
    if (FileLock::try_acquire(root + "/" + kRootLock, &holder)) return lock;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error(root + " is being written by " + holder + " (lock " + root + "/" +
                           kRootLock + ")");
}

}  // namespace xfer
