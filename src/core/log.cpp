// log.cpp: the rank-aware log sink.
#include "core/log.h"

#include <cstdio>
#include <mutex>

namespace xfer {

namespace {
int g_rank = 0, g_world = 1;
std::mutex g_mu;
}  // namespace

void set_log_rank(int rank, int world) {
  g_rank = rank;
  g_world = world;
}

bool log_is_root() { return g_rank == 0; }

void log_line(const std::string& s) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_world > 1) std::cerr << "[" << g_rank << "/" << g_world << "] ";
  std::cerr << s << std::endl;
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "-";
  const long t = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

}  // namespace xfer
