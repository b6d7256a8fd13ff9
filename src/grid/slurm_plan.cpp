// slurm_plan.cpp: grouping the unfinished cells into dependent job arrays.
#include "grid/slurm_plan.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "grid/cell_state.h"

namespace fs = std::filesystem;

namespace xfer {

Plan make_plan(const Grid& grid, const RunPaths& paths, const QueueInfo& queue,
               bool rerun_stale) {
  Plan plan;
  std::vector<CellState> states;
  DataIdentities identities;
  for (const auto& c : grid.cells) states.push_back(inspect_cell(grid, c, paths, identities, &queue));

  PlanGroup ready{"ready", {}, "", ""};
  std::map<std::string, PlanGroup> waiting;  // base id -> its group
  std::vector<std::string> order;           // base ids in grid order
  std::vector<bool> left_out(grid.cells.size(), false);
  for (const auto& c : grid.cells) {
    const CellState& st = states[c.index];
    if (st.diverged) {
      left_out[c.index] = true;
      plan.left_out.push_back(c.id + ": " + st.reason);
      continue;
    }
    if (!c.deps.empty() && left_out[c.deps.front()]) {  // bases come first in grid order
      left_out[c.index] = true;
      plan.left_out.push_back(c.id + ": its base " + grid.cells[c.deps.front()].id + " diverged");
      continue;
    }
    switch (st.status) {
      case CellStatus::Done: ++plan.done; continue;
      case CellStatus::Queued:
      case CellStatus::Running: ++plan.active; continue;
      case CellStatus::Stale:
        if (rerun_stale) break;
        plan.stale.push_back(c.id + ": " + st.reason);
        continue;
      default: break;
    }
    if (c.deps.empty()) {
      ready.ids.push_back(c.id);
      continue;
    }
    const GridCell& base = grid.cells[c.deps.front()];
    const CellState& bst = states[base.index];
    if (bst.status == CellStatus::Done) {
      ready.ids.push_back(c.id);
      continue;
    }
    if (bst.status == CellStatus::Stale && !rerun_stale) {
      plan.stale.push_back(c.id + ": its base " + base.id + " is stale");
      continue;
    }
    auto [it, fresh] = waiting.try_emplace(base.id, PlanGroup{"after-" + base.id, {}, "", ""});
    if (fresh) order.push_back(base.id);
    if (bst.status == CellStatus::Queued || bst.status == CellStatus::Running)
      it->second.after_job = bst.job;
    else
      it->second.after_cell = base.id;
    it->second.ids.push_back(c.id);
  }
  if (!ready.ids.empty()) plan.groups.push_back(std::move(ready));
  for (const auto& b : order) plan.groups.push_back(std::move(waiting[b]));
  return plan;
}

std::vector<std::string> cell_sbatch_args(const Grid& grid, const std::string& results) {
  const SlurmSettings& s = grid.config.slurm;
  std::vector<std::string> a = {
      "--job-name=xfer-" + grid.config.name,
      "--ntasks=" + std::to_string(s.ranks),
      "--cpus-per-task=" + std::to_string(s.cpus_per_rank),
      "--time=" + s.time,
      "--requeue",
      "--signal=B:USR1@" + std::to_string(s.signal_secs),
      "--open-mode=append",
      "--output=" + (fs::path(results) / "logs" / "%A_%a.out").string(),
  };
  if (s.tasks_per_node > 0) {  // a cell across nodes: N ranks (GPUs) on each
    a.push_back("--nodes=" + std::to_string(s.ranks / s.tasks_per_node));
    a.push_back("--ntasks-per-node=" + std::to_string(s.tasks_per_node));
  }
  if (s.gpus_per_rank > 0) a.push_back("--gpus-per-task=" + std::to_string(s.gpus_per_rank));
  if (!s.mem.empty()) a.push_back("--mem=" + s.mem);
  if (!s.partition.empty()) a.push_back("--partition=" + s.partition);
  if (!s.account.empty()) a.push_back("--account=" + s.account);
  if (!s.qos.empty()) a.push_back("--qos=" + s.qos);
  std::istringstream extra(s.extra);
  for (std::string w; extra >> w;) a.push_back(w);
  return a;
}

std::string array_spec(const PlanGroup& group, const Grid& grid) {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on
  // "literal" + std::to_string(...) here, and the first command prints no warning.
  std::string spec = "0-";
  spec += std::to_string(group.ids.size() - 1);
  if (grid.config.slurm.throttle > 0) {
    spec += '%';
    spec += std::to_string(grid.config.slurm.throttle);
  }
  return spec;
}

std::vector<std::string> write_plan(const Plan& plan, const std::string& dir) {
  fs::create_directories(dir);
  std::vector<std::string> files;
  for (const auto& group : plan.groups) {
    files.push_back((fs::path(dir) / ("group" + std::to_string(files.size()) + ".cells")).string());
    std::ofstream cells(files.back(), std::ios::trunc);
    for (const auto& id : group.ids) cells << id << "\n";
    cells.close();
    if (!cells) throw std::runtime_error("cannot write the plan into " + dir);
  }
  return files;
}

}  // namespace xfer
