// slurm.cpp: squeue, sacct, sbatch and scontrol, and submitted.tsv (see slurm.h).
#include "grid/slurm.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/names.h"
#include "grid/process.h"

namespace xfer {

namespace {

// A command's output and exit status (stdout and stderr together).
struct Ran {
  int code = 0;
  std::string out;
};

Ran run_program(const std::vector<std::string>& cmd) {
  Ran r;
  const ProcessEnd end = run_with_lines(cmd, [&r](const std::string& line) { r.out += line + "\n"; });
  r.code = end.code;
  return r;
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

bool on_path(const std::string& program) {
  return std::system(("command -v '" + program + "' >/dev/null 2>&1").c_str()) == 0;
}

QueueInfo query_queue(const std::string& results) {
  QueueInfo q;
  std::ifstream sub(results + "/.slurm/submitted.tsv");
  std::string line;
  while (std::getline(sub, line)) {
    std::istringstream ls(line);
    std::string job, id;
    if (ls >> job >> id) q.job_of_cell[id] = job;
  }
  if (!on_path("squeue")) return q;
  // Only this user's jobs: on a shared cluster the whole queue is large, and
  // the grid's jobs are always the submitting user's.
  const std::string cmd =
      "squeue -h -r --user=" + std::to_string(getuid()) + " -o '%i|%T|%r' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return q;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) {
    std::string l(buf);
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
    size_t a = l.find('|'), b = l.find('|', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    q.jobs[l.substr(0, a)] = {l.substr(a + 1, b - a - 1), l.substr(b + 1)};
  }
  q.available = pclose(p) == 0;
  return q;
}

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
  for (const auto& j : jobs)  // only plain job ids are asked about
    if (std::regex_match(j, job_re)) list += (list.empty() ? "" : ",") + j;
  if (list.empty() || !on_path("sacct")) return {};
  // -X: the allocation's state, not each step's; --user: only ours, even for root.
  const Ran r = run_program({"sacct", "-n", "-P", "-X", "--user=" + std::to_string(getuid()), "-o",
                             "JobID,State", "-j", list});
  if (r.code != 0) return {};  // accounting off: "Slurm accounting storage is disabled"
  return parse_sacct_states(r.out);
}

std::string sbatch(const std::vector<std::string>& args) {
  // Each value is one argument of its own (no shell reads them); a control
  // character would still make one value read as two lines of a script or a
  // record, wherever sbatch or SLURM writes it down.
  for (const auto& a : args)
    if (const std::string problem = control_character_problem(a); !problem.empty())
      throw std::runtime_error("sbatch argument '" + escape_control_characters(a) + "' " + problem +
                               ": not submitted");
  std::vector<std::string> cmd = {"sbatch", "--parsable"};
  cmd.insert(cmd.end(), args.begin(), args.end());
  const Ran r = run_program(cmd);
  const std::string out = last_line(r.out);
  if (r.code != 0) throw std::runtime_error("sbatch failed (exit " + std::to_string(r.code) + "): " + out);
  const std::string job = out.substr(0, out.find(';'));  // "123;cluster" on federated sites
  if (job.empty() || job.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error("sbatch printed no job id: '" + out + "'");
  return job;
}

bool requeue(const std::string& job, std::string& why) {
  const Ran r = run_program({"scontrol", "requeue", job});
  why = last_line(r.out);
  return r.code == 0;
}

bool srun_has_mpi(const std::string& plugin) {
  const Ran r = run_program({"srun", "--mpi=list"});
  return std::regex_search(r.out, std::regex("(^|[^A-Za-z0-9_])" + plugin + "($|[^A-Za-z0-9_])"));
}

void record_submitted(const std::string& results, const std::string& job, const std::string& id) {
  std::ofstream out(results + "/.slurm/submitted.tsv", std::ios::app);
  out << job << "\t" << id << "\n";
  if (!out) throw std::runtime_error("cannot append to " + results + "/.slurm/submitted.tsv");
}

}  // namespace xfer
