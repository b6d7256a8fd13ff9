// check.cpp: the error context (host and rank) added to every error.
#include "core/check.h"

#include <unistd.h>

#include <cstdlib>

namespace xfer {

namespace {
int g_rank = 0;
int g_world = 1;
}  // namespace

void set_error_context(int rank, int world) {
  g_rank = rank;
  g_world = world;
}

std::string this_host() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

std::string error_context() {
  const std::string host = this_host();
  std::string where = "host " + host;
  // SLURM's node name, where it is not the host name (several slurmd on one
  // machine, or nodes named apart from their hosts).
  if (const char* node = std::getenv("SLURMD_NODENAME"); node && *node && where != std::string("host ") + node)
    where += " (node " + std::string(node) + ")";
  return where + ", rank " + std::to_string(g_rank) + "/" + std::to_string(g_world);
}

void throw_error(const char* file, int line, const std::string& what) {
  std::string f = file;
  auto slash = f.find("src/");
  if (slash != std::string::npos) f = f.substr(slash);
  throw Error(what + " [" + f + ":" + std::to_string(line) + ", " + error_context() + "]");
}

}  // namespace xfer
