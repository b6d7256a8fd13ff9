// status.cpp: the status table of a grid.
#include "grid/status.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <vector>

#include "core/log.h"
#include "grid/cell_state.h"
#include "grid/slurm.h"

namespace xfer {

namespace {


// The job of each cell that is neither done nor in squeue any more, as SLURM
// accounting says it ended (OUT_OF_MEMORY, TIMEOUT, ...): cell index -> state.
std::map<int, std::string> ended_in_slurm(const Grid& grid, const std::vector<CellState>& states,
                                          const QueueInfo& queue) {
  std::map<int, std::string> job_of;  // cell index -> its latest job
  for (const auto& c : grid.cells) {
    const CellState& st = states[c.index];
    if (st.status == CellStatus::Done || st.status == CellStatus::Running ||
        st.status == CellStatus::Queued)
      continue;
    auto sub = queue.job_of_cell.find(c.id);
    std::string job = sub != queue.job_of_cell.end() ? sub->second : st.job;
    if (!job.empty() && !queue.jobs.count(job)) job_of[c.index] = job;
  }
  std::vector<std::string> jobs;
  for (const auto& [index, job] : job_of) jobs.push_back(job);
  std::map<std::string, std::string> ended = ended_job_states(jobs);
  std::map<int, std::string> out;
  for (const auto& [index, job] : job_of)
    if (auto it = ended.find(job); it != ended.end()) out[index] = it->second;
  return out;
}

}  // namespace

size_t print_status(const Grid& grid, const RunPaths& paths, const StatusOptions& opt) {
  const std::string& results = paths.results;
  QueueInfo queue;
  if (opt.use_queue) queue = query_queue(results);
  std::map<std::string, int> counts;
  size_t not_done = 0;
  char line[512];
  std::snprintf(line, sizeof line, "%-28s %-11s %17s %8s %-12s %s\n", "cell", "state",
                "iteration", "eta", "job", "note");
  std::cout << line;
  std::vector<CellState> states;
  DataIdentities identities;
  for (const auto& c : grid.cells) states.push_back(inspect_cell(grid, c, paths, identities, &queue));
  // Only where SLURM runs (squeue answered), and only about jobs that ended.
  std::map<int, std::string> slurm_end;
  if (queue.available) slurm_end = ended_in_slurm(grid, states, queue);
  for (const auto& c : grid.cells) {
    const CellState& st = states[c.index];
    counts[to_string(st.status)]++;
    if (st.status != CellStatus::Done) ++not_done;
    if (!opt.all && st.status == CellStatus::Done) continue;
    std::string iter = st.iteration >= 0
                           ? std::to_string(st.iteration) + "/" + std::to_string(c.solver.max_iter)
                           : "-";
    std::string note = st.reason;
    if (st.status == CellStatus::Done && st.result.top10_mean_top1) {
      // The paper's statistic, as result.json recorded it.
      char b[64];
      std::snprintf(b, sizeof b, "top-1 (mean of 10 best) %.4f", *st.result.top10_mean_top1);
      note = b;
    }
    if (st.attempts > 1 && note.empty()) note = std::to_string(st.attempts) + " attempts";
    for (int d : c.deps) {  // why a transfer is not moving
      CellStatus b = states[d].status;
      if ((st.status == CellStatus::NotStarted || st.status == CellStatus::Queued) &&
          (b == CellStatus::Failed || b == CellStatus::Stale))
        note = "its base " + grid.cells[d].id + " is " + to_string(b);
    }
    if (auto it = slurm_end.find(c.index); it != slurm_end.end())
      note += (note.empty() ? "" : "; ") + std::string("SLURM: ") + it->second;
    std::snprintf(line, sizeof line, "%-28s %-11s %17s %8s %-12s %s\n", c.id.c_str(),
                  to_string(st.status), iter.c_str(),
                  st.status == CellStatus::Running ? format_duration(st.eta_s).c_str() : "-",
                  st.job.empty() ? "-" : st.job.c_str(), note.c_str());
    std::cout << line;
  }
  std::cout << "\n" << grid.cells.size() << " cells:";
  for (const auto& [k, n] : counts) std::cout << " " << n << " " << k << ",";
  std::cout << (opt.use_queue && !queue.available ? " (squeue not available)" : "") << "\n";
  return not_done;
}

}  // namespace xfer
