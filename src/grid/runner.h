// runner.h: running cells. run_cell() runs one cell to the end of an attempt,
// the same way on a laptop and inside a SLURM array task; run_local() runs a
// whole grid on this machine, cells in dependency order, `jobs` at a time.
//
// Exit codes of run_cell(), as the trainer's: 0 done (now or before),
// 75 stopped by a signal after a checkpoint (run again to resume), 2 bad usage
// or configuration, 1 any other error (a stale folder, a missing base, too
// many attempts, a trainer error): not worth retrying without a change.
#pragma once

#include <string>
#include <vector>

#include "grid/cell_files.h"
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

int run_cell(const Grid& grid, const GridCell& cell, const RunOptions& opt);

// Runs every cell not done yet, bases before their transfers; a cell whose base
// failed is skipped. Returns 0 when every cell is done, 75 when interrupted, else 1.
int run_local(const Grid& grid, const RunOptions& opt);

}  // namespace xfer
