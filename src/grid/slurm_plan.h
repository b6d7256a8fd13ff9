// slurm_plan.h: what a submission of the grid to SLURM has to do, worked out
// from the results directory and squeue, for `xfer_grid submit` (submit.h).
//
// Cells done (with a matching grid hash) are left out; so are cells already
// queued or running from an earlier submission, and diverged cells with the
// transfers that copy from them (retrying would diverge again). The rest is grouped into job
// arrays by what they wait for: one group of cells that can start now (the
// bases, the random controls, transfers whose base is done), and one group per
// base still to run, submitted with --dependency=afterok on exactly that base's
// array task (or on the earlier job that is still training it).
#pragma once

#include <string>
#include <vector>

#include "grid/cell_trainer.h"
#include "grid/slurm.h"
#include "grid/grid.h"

namespace xfer {

struct PlanGroup {
  std::string name;              // "ready", or "after-<base id>"
  std::vector<std::string> ids;  // array task i runs ids[i]
  std::string after_cell;        // a cell of this submission to wait for, or ""
  std::string after_job;         // an earlier job ("123_4") to wait for, or ""
};

struct Plan {
  std::vector<PlanGroup> groups;  // "ready" first
  std::vector<std::string> stale;  // cells that block the submission
  // Diverged cells and the cells that copy from them, with why: not submitted,
  // since the same configuration would only diverge again.
  std::vector<std::string> left_out;
  size_t done = 0;
  size_t active = 0;  // queued or running already
};

// `rerun_stale`: stale cells are planned like unfinished ones (their tasks move
// the old folder to <results>/.stale/ and train again) instead of blocking.
Plan make_plan(const Grid& grid, const RunPaths& paths, const QueueInfo& queue,
               bool rerun_stale = false);

// Writes each group's cells into `dir`/group<i>.cells (one id a line: array
// task i runs line i) and returns those files, in the groups' order.
std::vector<std::string> write_plan(const Plan& plan, const std::string& dir);

// The --array value of `group`: "0-<n-1>", with [slurm] throttle's "%N".
std::string array_spec(const PlanGroup& group, const Grid& grid);

// The sbatch options of a cell's array job, from the grid's [slurm] section.
std::vector<std::string> cell_sbatch_args(const Grid& grid, const std::string& results);

}  // namespace xfer
