// runner.h: running cells. run_cell() runs one cell to the end of an attempt,
// the same way on a laptop and inside a SLURM array task; run_local() runs a
// whole grid on this machine, cells in dependency order, `jobs` at a time.
//
// A runner holds the cell's lock (<cell>/.cell.lock) while it works on the
// cell, so two runners (two `xfer_grid run` on one results folder, a rerun
// beside a runner still stopping) never train one cell twice. The trainer it
// starts dies with it: it gets the stop signal when the runner dies, kill -9
// included, and checkpoints.
#pragma once

#include <string>
#include <vector>

#include "core/exit_codes.h"
#include "grid/cell_trainer.h"
#include "grid/grid.h"

namespace xfer {

enum class Launch { Auto, None, Srun, Mpirun };
Launch parse_launch(const std::string& s);

struct RunOptions {
  RunPaths paths;
  Launch launch = Launch::Auto;
  int ranks = 0;        // 0: the grid's slurm.ranks
  int threads = 0;      // 0: solver.threads, else $SLURM_CPUS_PER_TASK, else cores / (ranks * jobs)
  int jobs = 1;         // cells at once (run_local)
  bool echo = true;     // copy the trainer's output to stdout
  bool rerun_stale = false;  // move a stale folder to <results>/.stale/ and start again
  std::string job;      // SLURM job of this attempt ("123_4"), recorded for status
  int max_attempts = 0;  // 0: slurm.max_requeues + 1
  bool dry_run = false;  // print the command instead of running it
};

// The full command (launcher, trainer, arguments) for one cell.
std::vector<std::string> cell_command(const Grid& grid, const GridCell& cell, const RunOptions& opt);

// Why `trainer` cannot be run, or "" when it can.
std::string trainer_problem(const std::string& trainer);

// One attempt at `cell`; returns a code of core/exit_codes.h (the trainer's,
// passed on as they are; kExitError also for a stale folder, a missing base or
// too many attempts, kExitUsage for a missing data folder). How it ended, when not done or
// stopped, is one line without the cell id ("killed by SIGKILL (out of
// memory?)", "being trained by pid P on host H; skipped"): printed to stderr as
// "xfer_grid: <id>: <line>", or, when `message` is given, put there instead.
int run_cell(const Grid& grid, const GridCell& cell, const RunOptions& opt,
             std::string* message = nullptr);

// Runs every cell not done yet, bases before their transfers, each in a child
// process that dies with this one. A cell whose base failed, diverged or is
// trained by another runner is skipped, and says so; a diverged cell is not
// retried. Returns kExitDone when every cell is done, kExitStopped when interrupted, kExitUsage when the
// trainer cannot be run, else 1.
int run_local(const Grid& grid, const RunOptions& opt);

}  // namespace xfer
