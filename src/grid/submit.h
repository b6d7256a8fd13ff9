// submit.h: `xfer_grid submit`, the whole grid to SLURM as dependent job
// arrays (jobs/grid.sh only finds the programs and calls it).
//
// Why dependent arrays. A transfer may start only after its own base has
// succeeded, and nothing should hold an allocation while it waits. On SLURM
// 22.05 a running array task cannot change its own dependency (`scontrol
// update ... Dependency=` answers "Job is no longer pending execution"); a
// helper it detaches to do so is killed with the task; and a task that
// requeues itself to wait is retried only after about two minutes (the
// credential lifetime), taking an allocation each time. So the submission works
// out the plan (slurm_plan.h), then submits one array of every cell that can
// start now (bases, random controls, transfers whose base is done) and, per
// base still to train, one array of the transfers copying from it, with
// --dependency=afterok:<array job>_<task> on exactly that base (a job array
// shares one dependency, so arrays are grouped by base). Dependents of a base
// that fails are cancelled (--kill-on-invalid-dep=yes) rather than left
// pending forever.
//
// Each array task runs jobs/cell.sh, which runs `xfer_grid run-cell
// --slurm-task` on line $SLURM_ARRAY_TASK_ID of the group's cells file.
// Logs: <results>/logs/%A_%a.out; <results>/.slurm/submitted.tsv maps each
// <array job>_<task> to its cell.
#pragma once

#include <string>

#include "grid/grid.h"
#include "grid/runner.h"

namespace xfer {

struct SubmitOptions {
  std::string results, data;  // absolute
  std::string xfer_grid;      // this program, which each task runs
  std::string trainer;        // xfer_train
  std::string make_views;     // xfer_make_views
  std::string cell_script;    // jobs/cell.sh
  bool rerun_stale = false;   // stale cells: moved to <results>/.stale/ and trained again
  bool dry_run = false;       // print the sbatch lines; submit and make nothing
};

// Checks what every cell needs (the data root, the launcher of multi-rank
// cells, each cell's data folder, the trainer's backend), writes
// <results>/grid.ini (an earlier, different one kept under .slurm/), makes the
// missing views and submits. Returns an exit code (core/exit_codes.h).
int submit_grid(const Grid& grid, const SubmitOptions& opt);

// One array task (`xfer_grid run-cell --slurm-task`): runs the cell as
// run_cell() does and says how it ended in the job's log. Stopped by SIGUSR1
// (SLURM's warning before the time limit, --signal=B:USR1) after a checkpoint,
// the task requeues itself, by <array job>_<task> (one task's SLURM_JOB_ID is
// the array's, and requeueing that would requeue every task), to resume in a
// fresh allocation, and ends 0. Stopped by SIGTERM (scancel, preemption,
// `scontrol requeue`) it ends kExitStopped and SLURM decides what follows. Any other
// failure ends the task with the cell's code, so afterok dependents are
// cancelled and nothing is retried until the grid is resubmitted; that
// includes a diverged run, never requeued, which a resubmission leaves out.
int run_array_task(const Grid& grid, const GridCell& cell, const RunOptions& opt);

}  // namespace xfer
