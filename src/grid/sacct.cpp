// sacct.cpp: job end states from SLURM accounting (see sacct.h).
#include "grid/sacct.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

namespace xfer {

std::map<std::string, std::string> parse_sacct_states(const std::string& text) {
  // The states that say the job was ended from outside or by its limits.
  static const std::set<std::string> noteworthy = {
      "OUT_OF_MEMORY", "TIMEOUT", "NODE_FAIL", "CANCELLED", "PREEMPTED", "BOOT_FAIL", "DEADLINE"};
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t bar = line.find('|');
    if (bar == std::string::npos) continue;
    std::string job = line.substr(0, bar);
    std::string state = line.substr(bar + 1);
    state = state.substr(0, state.find_first_of(" |\r"));  // "CANCELLED by 0" -> CANCELLED
    if (noteworthy.count(state)) out[job] = state;
  }
  return out;
}

std::map<std::string, std::string> ended_job_states(const std::vector<std::string>& jobs) {
  static const std::regex job_re(R"(\d+(_\d+)?)");
  std::string list;
  for (const auto& j : jobs)  // only plain job ids ever reach the shell
    if (std::regex_match(j, job_re)) list += (list.empty() ? "" : ",") + j;
  if (list.empty() || std::system("command -v sacct >/dev/null 2>&1") != 0) return {};
  // -X: the allocation's state, not each step's; --user: only ours, even for root.
  const std::string cmd = "sacct -n -P -X --user=" + std::to_string(getuid()) +
                          " -o JobID,State -j " + list + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {};
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) text += buf;
  if (pclose(p) != 0) return {};  // accounting off: "Slurm accounting storage is disabled"
  return parse_sacct_states(text);
}

}  // namespace xfer
