// cpus.cpp: see cpus.h.
#include "core/cpus.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

namespace xfer {

int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

// A cgroup's memory limit in bytes, or 0 where the file is absent or says
// "max" (v2) or holds the "no limit" page-rounded maximum (v1).
static size_t cgroup_limit(const char* path) {
  std::ifstream f(path);
  unsigned long long v = 0;
  if (!(f >> v) || v == 0 || v >= (1ULL << 62)) return 0;
  return static_cast<size_t>(v);
}

size_t usable_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  size_t bytes = pages > 0 && page > 0 ? size_t(pages) * size_t(page) : 0;
  for (const char* p : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"})
    if (const size_t limit = cgroup_limit(p); limit && (!bytes || limit < bytes)) bytes = limit;
  return bytes;
}

}  // namespace xfer
