// cell_command.cpp: the command line of one cell's attempt: the launcher
// (srun, mpirun or none) for its ranks, the trainer and its arguments, with the
// threads each rank gets.
#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "core/cli.h"
#include "core/cpus.h"
#include "grid/runner.h"

namespace xfer {

Launch parse_launch(const std::string& s) {
  if (s == "auto") return Launch::Auto;
  if (s == "none") return Launch::None;
  if (s == "srun") return Launch::Srun;
  if (s == "mpirun") return Launch::Mpirun;
  throw std::runtime_error("--launch '" + s + "': use auto, none, srun or mpirun");
}

namespace {

using cli::env_int;

// --launch, else the grid's [slurm] launcher, else srun inside a SLURM job
// and mpirun outside one; a single rank is started directly.
Launch resolve_launch(Launch l, const std::string& configured, int ranks) {
  if (l != Launch::Auto) return l;
  if (ranks <= 1) return Launch::None;
  if (configured != "auto") return parse_launch(configured);
  return std::getenv("SLURM_JOB_ID") ? Launch::Srun : Launch::Mpirun;
}

int cell_ranks(const Grid& grid, const RunOptions& opt) {
  return opt.ranks > 0 ? opt.ranks : grid.config.slurm.ranks;
}

int cell_threads(const Grid& grid, const GridCell& cell, const RunOptions& opt) {
  if (opt.threads > 0) return opt.threads;
  if (cell.solver.threads > 0) return cell.solver.threads;
  if (int c = env_int("SLURM_CPUS_PER_TASK", 0); c > 0) return c;
  // The CPUs this process may use (taskset, cgroups), not the machine's cores.
  int per = usable_cpus() / (cell_ranks(grid, opt) * std::max(1, opt.jobs));
  return std::max(1, per);
}

}  // namespace

std::vector<std::string> cell_command(const Grid& grid, const GridCell& cell, const RunOptions& opt) {
  int ranks = cell_ranks(grid, opt);
  std::vector<std::string> cmd;
  switch (resolve_launch(opt.launch, grid.config.slurm.launcher, ranks)) {
    case Launch::Srun: {
      cmd = {"srun", "--mpi=" + grid.config.slurm.mpi, "--ntasks=" + std::to_string(ranks),
             "--kill-on-bad-exit=1"};
      // srun no longer inherits the batch job's --cpus-per-task (SLURM 22.05).
      if (int c = env_int("SLURM_CPUS_PER_TASK", 0); c > 0)
        cmd.push_back("--cpus-per-task=" + std::to_string(c));
      if (grid.config.slurm.gpus_per_rank > 0)
        cmd.push_back("--gpus-per-task=" + std::to_string(grid.config.slurm.gpus_per_rank));
      break;
    }
    case Launch::Mpirun:
      cmd = {"mpirun", "-np", std::to_string(ranks), "--oversubscribe", "--bind-to", "none"};
      break;
    default:
      break;
  }
  cmd.push_back(opt.paths.trainer);
  for (auto& a : trainer_args(grid, cell, opt.paths, cell_threads(grid, cell, opt))) cmd.push_back(a);
  return cmd;
}

}  // namespace xfer
