// submit.cpp: the grid to SLURM (see submit.h).
#include "grid/submit.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <unistd.h>

#include "core/check.h"  // this_host
#include "core/exit_codes.h"
#include "grid/cell_folder.h"  // utc_now
#include "grid/grid_views.h"
#include "grid/process.h"  // stop_signal
#include "grid/slurm.h"
#include "grid/slurm_plan.h"
#include "io/atomic_file.h"

namespace fs = std::filesystem;

namespace xfer {

namespace {

std::string read_file_or_empty(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

// "2026-01-02T03:04:05Z" -> "20260102T030405"
std::string compact_stamp() {
  std::string s;
  for (char c : utc_now())
    if (c != '-' && c != ':' && c != 'Z') s += c;
  return s;
}

// The backends `trainer --version` lists ("  backends cpu cuda"); nullopt
// when it does not run.
std::optional<std::string> trainer_backends(const std::string& trainer) {
  FILE* p = popen(("'" + trainer + "' --version 2>&1").c_str(), "r");
  std::string version;
  char buf[256];
  while (p && std::fgets(buf, sizeof buf, p)) version += buf;
  if (!p || pclose(p) != 0) return std::nullopt;
  const auto line = version.find("  backends ");
  if (line == std::string::npos) return "";
  return version.substr(line + 11, version.find('\n', line) - line - 11);
}

// What every cell to submit needs, checked in seconds before anything is
// submitted (a missing piece would otherwise fail each cell when it starts,
// hours later): its data folder (a view or a folder of shards), and a trainer
// built with the grid's backend. Returns the first missing piece, or "".
std::string missing_for_submission(const Grid& grid, const Plan& plan, const SubmitOptions& opt,
                                   const std::vector<std::string>& to_make) {
  std::vector<std::string> ids;
  for (const auto& g : plan.groups) ids.insert(ids.end(), g.ids.begin(), g.ids.end());
  if (std::string bad = missing_data(grid, ids, opt.data, to_make); !bad.empty()) return bad;
  const auto backends = trainer_backends(opt.trainer);
  if (!backends) return "the trainer " + opt.trainer + " does not run (--version failed)";
  if ((" " + *backends + " ").find(" " + grid.config.backend + " ") == std::string::npos)
    return "the trainer " + opt.trainer + " is built without the '" + grid.config.backend +
           "' backend the grid asks for (built: " + (backends->empty() ? "unknown" : *backends) + ")";
  return "";
}

// Multi-rank cells start with srun (or mpirun): is it there, with the MPI plugin?
std::string launcher_problem(const SlurmSettings& s) {
  if (s.ranks <= 1) return "";
  if (s.launcher == "mpirun")
    return on_path("mpirun") ? "" : "[slurm] launcher = mpirun, but mpirun is not on PATH";
  if (!on_path("srun")) return "cells of " + std::to_string(s.ranks) + " ranks start with srun, which is not on PATH";
  if (!srun_has_mpi(s.mpi))
    return "this SLURM's srun has no '" + s.mpi + "' MPI plugin (srun --mpi=list; set [slurm] mpi or launcher = mpirun)";
  return "";
}

// <results>/grid.ini, where every cell (and `status`) reads the grid; an
// earlier one that differs is kept under .slurm/.
std::string write_grid_ini(const Grid& grid, const std::string& results) {
  const std::string path = results + "/grid.ini";
  const std::string text = to_ini(grid.config);
  std::error_code ec;
  if (fs::exists(path) && read_file_or_empty(path) != text)
    fs::copy_file(path, results + "/.slurm/grid.ini." + compact_stamp(), fs::copy_options::overwrite_existing, ec);
  write_file_atomic(path, text);
  return path;
}

// The task script's arguments for the cells of `group` (its cells file).
std::vector<std::string> task_command(const SubmitOptions& opt, const std::string& grid_ini,
                                      const std::string& cells_file) {
  std::vector<std::string> cmd = {opt.cell_script, opt.xfer_grid, "run-cell", "--slurm-task",
                                  "--grid", grid_ini, "--results", opt.results, "--data", opt.data,
                                  "--trainer", opt.trainer, "--list", cells_file};
  if (opt.rerun_stale) cmd.push_back("--rerun-stale");
  return cmd;
}

}  // namespace

int submit_grid(const Grid& grid, const SubmitOptions& opt) {
  if (!fs::is_directory(opt.data)) {
    std::cerr << "xfer_grid: error: data root '" << opt.data << "' does not exist\n";
    return kExitUsage;
  }
  fs::create_directories(opt.results + "/logs");
  fs::create_directories(opt.results + "/.slurm");
  const std::string grid_ini = write_grid_ini(grid, opt.results);
  if (!opt.dry_run) {
    if (std::string p = launcher_problem(grid.config.slurm); !p.empty()) {
      std::cerr << "xfer_grid: error: " << p << "\n";
      return kExitUsage;
    }
    make_missing_views(grid, opt.data, opt.make_views);
  }
  // A dry run makes no view: it says which a submission would make first.
  const std::vector<std::string> to_make = opt.dry_run ? splits_to_make(grid, opt.data) : std::vector<std::string>{};
  for (const auto& def : to_make)
    std::cout << "xfer_grid: (dry run) a submission first makes the views of " << def << "\n";

  const Plan plan = make_plan(grid, RunPaths{opt.results, opt.data, ""}, query_queue(opt.results), opt.rerun_stale);
  if (!plan.stale.empty()) {
    std::cerr << "xfer_grid: these cells were made with another configuration; move their "
                 "folders away, or submit with --rerun-stale to retrain them:\n";
    for (const auto& s : plan.stale) std::cerr << "  " << s << "\n";
    return kExitError;
  }
  if (!plan.left_out.empty()) {
    std::cerr << "xfer_grid: not submitted: these cells diverged, or copy from one that did; "
                 "change the solver settings or move their folders away to train them again:\n";
    for (const auto& s : plan.left_out) std::cerr << "  " << s << "\n";
  }
  if (std::string missing = missing_for_submission(grid, plan, opt, to_make); !missing.empty()) {
    std::cerr << "xfer_grid: nothing submitted: " << missing << "\n";
    return kExitError;
  }
  const std::string plan_dir =
      opt.results + "/.slurm/submit-" + compact_stamp() + "-" + std::to_string(getpid());
  const std::vector<std::string> cells_files = write_plan(plan, plan_dir);
  size_t todo = 0;
  for (const auto& g : plan.groups) todo += g.ids.size();
  std::cout << "xfer_grid: grid '" << grid.config.name << "': " << grid.cells.size() << " cells, " << plan.done
            << " done, " << plan.active << " already queued or running, "
            << (plan.left_out.empty() ? "" : std::to_string(plan.left_out.size()) + " left out, ") << todo
            << " to submit in " << plan.groups.size() << " array job(s)\n";

  std::map<std::string, std::string> job_of;  // cell id -> <array job>_<task> of this submission
  size_t submitted = 0;
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    const PlanGroup& group = plan.groups[g];
    std::vector<std::string> args = {"--array=" + array_spec(group, grid)};
    for (const auto& a : cell_sbatch_args(grid, opt.results)) args.push_back(a);
    const std::string after = group.after_cell.empty() ? group.after_job : job_of.at(group.after_cell);
    if (!after.empty()) args.insert(args.end(), {"--dependency=afterok:" + after, "--kill-on-invalid-dep=yes"});
    for (const auto& a : task_command(opt, grid_ini, cells_files[g])) args.push_back(a);
    std::string job;
    if (opt.dry_run) {
      std::cout << "sbatch --parsable " << join(args) << "\n";
      job = "DRYRUN" + std::to_string(g);
    } else {
      job = sbatch(args);
    }
    for (size_t i = 0; i < group.ids.size(); ++i) {
      const std::string task = job + "_" + std::to_string(i);
      job_of[group.ids[i]] = task;
      if (!opt.dry_run) record_submitted(opt.results, task, group.ids[i]);
    }
    submitted += group.ids.size();
    std::cout << "xfer_grid: " << group.name << ": " << group.ids.size() << " cell(s) as array job " << job
              << (after.empty() ? "" : " (dependency=afterok:" + after + ")") << "\n";
  }
  std::cout << "xfer_grid: submitted " << submitted << " cell(s); results in " << opt.results << "\n"
            << "xfer_grid: follow with: " << opt.xfer_grid << " status --results " << opt.results << "\n";
  return kExitDone;
}

int run_array_task(const Grid& grid, const GridCell& cell, const RunOptions& opt) {
  const char* restarts = std::getenv("SLURM_RESTART_COUNT");
  std::cout << "xfer_grid: job " << opt.job << " (SLURM job " << (std::getenv("SLURM_JOB_ID") ? std::getenv("SLURM_JOB_ID") : "?")
            << ", restart " << (restarts ? restarts : "0") << ") on " << this_host() << ": " << cell.id << "\n"
            << std::flush;
  const int rc = run_cell(grid, cell, opt);
  const std::string log = CellFolder(opt.paths.results, cell.id).train_log();
  switch (rc) {
    case kExitDone: std::cout << "xfer_grid: " << cell.id << " done\n"; break;
    case kExitStopped:
      if (stop_signal() == SIGUSR1) {
        std::cout << "xfer_grid: " << cell.id << " checkpointed before the time limit; requeueing " << opt.job << "\n"
                  << std::flush;
        std::string why;
        if (requeue(opt.job, why)) return kExitDone;
        std::cerr << "xfer_grid: scontrol requeue " << opt.job << " failed (" << why << "); resubmit the grid to resume "
                  << cell.id << "\n";
      } else {
        std::cout << "xfer_grid: " << cell.id << " checkpointed on " << signal_name(stop_signal() ? stop_signal() : SIGTERM)
                  << "; SLURM decides whether it comes back\n";
      }
      break;
    case kExitDiverged:
      std::cerr << "xfer_grid: " << cell.id << " diverged (see " << log << "); its dependents will not start\n";
      break;
    case kExitBusy: std::cerr << "xfer_grid: " << cell.id << " is being trained by another runner; left to it\n"; break;
    default: std::cerr << "xfer_grid: " << cell.id << " failed with exit " << rc << " (see " << log << ")\n";
  }
  return rc;
}

}  // namespace xfer
