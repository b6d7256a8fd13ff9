// grid_main.cpp: xfer_grid, the experiment grid's command line and the only
// program that knows the grid: it lists the cells of a grid config, runs one
// cell (as a SLURM array task does) or the whole grid on this machine, submits
// it to SLURM (jobs/grid.sh only calls `submit`), shows every cell's state and
// answers questions about the config for scripts (`get`, `keys`, `presets`).
//
//   xfer_grid list     --preset paper                      the cells, deps, cost
//   xfer_grid run      --preset fashion-mnist -j 2          the grid, locally
//   xfer_grid run-cell --grid G --id half0-AB-n3-frozen     one cell (one attempt)
//   xfer_grid submit   --preset paper [--dry-run]           the grid to SLURM
//   xfer_grid status   --results R                          every cell's state
//   xfer_grid export   --results R --out DIR                finished results to commit
//   xfer_grid resolve  --preset paper --set k=v --out F     the resolved config
//   xfer_grid get      grid.results --preset paper          one resolved key
//   xfer_grid keys                                           every config key
//   xfer_grid presets                                        the presets
#include <unistd.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/cli.h"
#include "core/provenance.h"
#include "core/exit_codes.h"
#include "grid/export.h"
#include "grid/grid.h"
#include "grid/grid_keys.h"
#include "grid/grid_views.h"
#include "grid/runner.h"
#include "grid/status.h"
#include "grid/submit.h"
#include "io/atomic_file.h"

#ifndef XFER_GRIDS_DIR
#define XFER_GRIDS_DIR "jobs/grids"
#endif

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace xfer;

namespace {

struct Args {
  std::string command;
  std::string preset, grid_file, grids_dir;
  std::vector<std::string> sets;
  std::vector<std::string> slurm_sets;  // submit's --partition ... as slurm.KEY=VALUE
  std::string results, data, trainer, out, format, launch, job, id, list_file, key, cell_script;
  int index = -1, task = -1, jobs = 1, ranks = 0, threads = 0;
  bool rerun_stale = false, dry_run = false, quiet = false, check = false, pending = false,
       no_queue = false, slurm_task = false;
};

std::string commands_help() {
  const auto code = [](int c) { return std::to_string(c); };
  return "commands:\n"
         "  list      the cells of the grid: index, id, kind, data, dependencies, cost\n"
         "  run       run every unfinished cell here, bases first (-j cells at once)\n"
         "  run-cell  run one cell (--id, --index, or --list FILE --task N) to the end\n"
         "            of one attempt; exit " + code(kExitDone) + " done, " + code(kExitStopped) +
         " stopped after a checkpoint, " + code(kExitUsage) + " bad\n"
         "            usage or a missing data folder, " + code(kExitDiverged) + " diverged, " + code(kExitBusy) +
         " being trained by\n"
         "            another runner (left to it), " + code(kExitError) + " any other error\n"
         "  submit    submit the grid to SLURM as dependent job arrays (what jobs/grid.sh runs)\n"
         "  status    every cell's state from the results directory, squeue and sacct\n"
         "  export    every finished cell's result.json, config.ini and cell.json, and grid.ini,\n"
         "            to --out DIR, with paths relative to the results folder (to commit or share)\n"
         "  resolve   write the resolved grid config (--out FILE, or stdout)\n"
         "  get KEY   print what one config key resolves to (section.key, defaults included)\n"
         "  keys      every key a grid config takes (--format table or ini)\n"
         "  presets   the presets, one a line\n";
}

std::string self_dir() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "." : p.parent_path().string();
}

std::string grids_dir(const Args& a) { return presets_dir(a.grids_dir, self_dir(), XFER_GRIDS_DIR); }

Grid load(const Args& a, std::string& config_path) {
  std::string path = a.grid_file;
  // A submission names its grid, or submits the paper's.
  const std::string preset = a.preset.empty() && a.command == "submit" && path.empty() ? "paper" : a.preset;
  if (path.empty() && !preset.empty())
    path = preset_path(preset, grids_dir(a));
  if (path.empty() && !a.results.empty() && fs::exists(a.results + "/grid.ini"))
    path = a.results + "/grid.ini";
  if (path.empty()) throw po::error("give --preset NAME, --grid FILE, or --results DIR holding grid.ini");
  config_path = path;
  return enumerate_grid(load_grid_config(path, a.sets));
}

std::string absolute(const std::string& p) { return p.empty() ? p : fs::absolute(p).lexically_normal().string(); }

// `status` of a results folder that is not there would show every cell
// not started: a mistyped path must not look like a grid nobody ran.
bool results_missing(const std::string& results) {
  if (fs::is_directory(results)) return false;
  std::cerr << "xfer_grid: error: results folder '" << results << "' does not exist\n";
  return true;
}

int list_command(const Args& a, const Grid& grid, const std::string& config_path) {
  if (a.format == "ids") {
    for (const auto& c : grid.cells) std::cout << c.id << "\n";
  } else if (a.format == "tsv") {
    for (const auto& c : grid.cells) {
      std::cout << c.index << "\t" << c.id << "\t";
      for (size_t i = 0; i < c.deps.size(); ++i)
        std::cout << (i ? "," : "") << grid.cells[c.deps[i]].id;
      std::cout << (c.deps.empty() ? "-" : "") << "\t" << c.cost_hours << "\n";
    }
  } else if (a.format == "summary") {
    std::cout << "grid '" << grid.config.name << "' from " << config_path << "\n"
              << format_summary(grid);
  } else if (a.format == "table") {
    std::cout << format_table(grid) << "\ngrid '" << grid.config.name << "' from "
              << config_path << "\n"
              << format_summary(grid);
  } else {
    throw po::error("--format must be table, summary, ids or tsv");
  }
  return kExitDone;
}

// `submit`: paths as given on the command line (relative to where it runs),
// else the grid config's; the programs beside this one.
int submit_command(const Args& a, const Grid& grid) {
  SubmitOptions o;
  o.results = absolute(a.results.empty() ? grid.config.results : a.results);
  o.data = absolute(a.data.empty() ? grid.config.data : a.data);
  if (o.data.empty()) throw po::error("give --data DIR (or grid.data in the config)");
  o.xfer_grid = self_dir() + "/xfer_grid";
  o.trainer = a.trainer.empty() ? self_dir() + "/xfer_train" : absolute(a.trainer);
  o.make_views = self_dir() + "/xfer_make_views";
  o.cell_script = absolute(a.cell_script.empty() ? grids_dir(a) + "/../cell.sh" : a.cell_script);
  o.rerun_stale = a.rerun_stale;
  o.dry_run = a.dry_run;
  return submit_grid(grid, o);
}

RunOptions run_options(const Args& a, const std::string& results, const std::string& data) {
  RunOptions opt;
  opt.paths.results = absolute(results);
  opt.paths.data = absolute(data);
  opt.paths.trainer = a.trainer.empty() ? self_dir() + "/xfer_train" : absolute(a.trainer);
  opt.launch = parse_launch(a.launch);
  opt.ranks = a.ranks;
  opt.threads = a.threads;
  opt.jobs = a.jobs;
  opt.echo = !a.quiet;
  opt.rerun_stale = a.rerun_stale;
  opt.job = a.job;
  opt.dry_run = a.dry_run;
  if (opt.paths.data.empty()) throw po::error("give --data DIR (or grid.data in the config)");
  return opt;
}

// The cell run-cell was given: by --id, --index, or line --task of --list.
const GridCell& run_cell_target(const Args& a, const Grid& grid) {
  std::string id = a.id;
  if (id.empty() && a.index >= 0) {
    if (a.index >= static_cast<int>(grid.cells.size())) throw po::error("--index out of range");
    id = grid.cells[a.index].id;
  }
  if (id.empty() && !a.list_file.empty()) {
    std::ifstream in(a.list_file);
    std::string line;
    for (int i = 0; std::getline(in, line); ++i)
      if (i == a.task) id = line;
    if (id.empty()) throw po::error("no line " + std::to_string(a.task) + " in " + a.list_file);
  }
  if (id.empty()) throw po::error("run-cell needs --id, --index, or --list with --task");
  const GridCell* cell = grid.find(id);
  if (!cell) throw po::error("cell '" + id + "' is not in grid '" + grid.config.name + "'");
  return *cell;
}

// --slurm-task: the task's line of --list and its job, from SLURM's variables.
void take_array_task(Args& a) {
  if (!a.slurm_task) return;
  const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* array = std::getenv("SLURM_ARRAY_JOB_ID");
  if (!task || !array) throw po::error("--slurm-task runs inside a SLURM array task (no SLURM_ARRAY_TASK_ID)");
  if (a.task < 0) a.task = std::atoi(task);
  if (a.job.empty()) a.job = std::string(array) + "_" + task;
}

int config_command(const Args& a, const Grid& grid, const std::string& config_path) {
  if (a.command == "list") return list_command(a, grid, config_path);
  if (a.command == "get") {
    auto it = grid.config.resolved.find(a.key);
    if (it == grid.config.resolved.end())
      throw po::error("'" + a.key + "' is not a key of grid '" + grid.config.name + "' (xfer_grid keys lists them)");
    std::cout << it->second << "\n";
    return kExitDone;
  }
  // resolve
  const std::string text = to_ini(grid.config);
  if (a.out.empty()) {
    std::cout << text;
  } else {
    fs::create_directories(fs::path(a.out).parent_path().empty() ? "." : fs::path(a.out).parent_path());
    write_file_atomic(a.out, text);
  }
  return kExitDone;
}

int export_command(const Args& a, const Grid& grid, const std::string& results) {
  if (a.out.empty()) throw po::error("export needs --out DIR");
  if (results_missing(results)) return kExitError;
  const ExportSummary s = export_results(grid, results, a.out);
  std::cout << "xfer_grid: exported " << s.exported << " finished cell(s) of grid '" << grid.config.name << "' to "
            << a.out << "\n";
  if (!s.not_finished.empty()) {
    std::cout << "xfer_grid: " << s.not_finished.size() << " cell(s) not finished, not exported:";
    for (const auto& id : s.not_finished) std::cout << " " << id;
    std::cout << "\n";
  }
  return s.not_finished.empty() ? kExitDone : kExitError;
}

int run(Args& a) {
  if (a.command == "keys") {
    std::cout << format_grid_keys(a.format == "table" || a.format == "ini" ? a.format : "table");
    return kExitDone;
  }
  if (a.command == "presets") {
    for (const auto& name : list_presets(grids_dir(a))) std::cout << name << "\n";
    return kExitDone;
  }
  if (a.command == "status" && !a.results.empty() && results_missing(a.results)) return kExitError;
  std::string config_path;
  Grid grid = load(a, config_path);
  std::string results = a.results.empty() ? grid.config.results : a.results;
  std::string data = a.data.empty() ? grid.config.data : a.data;

  if (a.command == "list" || a.command == "get" || a.command == "resolve") return config_command(a, grid, config_path);
  if (a.command == "status") {
    if (results_missing(results)) return kExitError;
    StatusOptions so;
    so.all = !a.pending;
    so.use_queue = !a.no_queue;
    size_t left = print_status(grid, RunPaths{results, absolute(data), ""}, so);
    return a.check && left > 0 ? kExitError : kExitDone;
  }
  if (a.command == "submit") return submit_command(a, grid);
  if (a.command == "export") return export_command(a, grid, results);
  // Views a cell needs and nobody made yet are made now, before anything runs.
  if (a.command == "run" && !a.dry_run && !data.empty())
    make_missing_views(grid, absolute(data), self_dir() + "/xfer_make_views");

  take_array_task(a);
  RunOptions opt = run_options(a, results, data);
  if (a.command == "run-cell") {
    const GridCell& cell = run_cell_target(a, grid);
    return a.slurm_task ? run_array_task(grid, cell, opt) : run_cell(grid, cell, opt);
  }
  if (a.command == "run") {
    if (a.dry_run) {
      for (const auto& c : grid.cells) run_cell(grid, c, opt);
      return kExitDone;
    }
    fs::create_directories(opt.paths.results);
    write_file_atomic(opt.paths.results + "/grid.ini", to_ini(grid.config));
    return run_local(grid, opt);
  }
  throw po::error("unknown command '" + a.command + "'");
}

}  // namespace

int main(int argc, char** argv) {
  if (xfer::print_version_if_asked(argc, argv, "xfer_grid", {})) return kExitDone;
  Args a;
  po::options_description grid_opts("grid");
  grid_opts.add_options()
      ("preset", po::value(&a.preset), "a preset, jobs/grids/NAME.ini (xfer_grid presets lists them)")
      ("grid", po::value(&a.grid_file), "a grid config file instead of a preset")
      ("grids-dir", po::value(&a.grids_dir), "where presets live (default: $XFER_GRIDS_DIR, else <bin>/../share/xfer/jobs/grids when installed, else the source tree's jobs/grids)")
      ("set", po::value(&a.sets)->composing(), "override a config key: --set solver.max_iter=100 (repeatable)")
      ("results", po::value(&a.results), "results directory (default: grid.results); <results>/grid.ini is used when no grid is given")
      ("data", po::value(&a.data), "data root; a cell trains on <data>/<data name> (default: grid.data)");
  po::options_description run_opts("running cells");
  run_opts.add_options()
      ("trainer", po::value(&a.trainer), "the xfer_train binary (default: beside xfer_grid)")
      ("launch", po::value(&a.launch)->default_value("auto"), "auto, none, srun (--mpi=pmix) or mpirun; auto: srun inside a SLURM job, mpirun outside, none for one rank")
      ("ranks", po::value(&a.ranks)->default_value(0), "MPI ranks per cell (0: slurm.ranks)")
      ("threads", po::value(&a.threads)->default_value(0), "threads per rank (0: solver.threads, $SLURM_CPUS_PER_TASK, or cores / (ranks x jobs))")
      ("jobs,j", po::value(&a.jobs)->default_value(1), "run: cells at once")
      ("id", po::value(&a.id), "run-cell: the cell id")
      ("index", po::value(&a.index), "run-cell: the cell's index in the grid")
      ("list", po::value(&a.list_file), "run-cell: a file of cell ids, one a line")
      ("task", po::value(&a.task), "run-cell: the line of --list to run (0-based)")
      ("job", po::value(&a.job), "run-cell: this attempt's SLURM job (<array job>_<task>), for status and the attempt limit")
      ("rerun-stale", po::bool_switch(&a.rerun_stale), "move a stale cell's folder to <results>/.stale/ and train it again")
      ("dry-run", po::bool_switch(&a.dry_run), "run: print the trainer command lines, run nothing; submit: print the sbatch lines, submit and make nothing")
      ("slurm-task", po::bool_switch(&a.slurm_task), "run-cell: run as a SLURM array task (jobs/cell.sh): line $SLURM_ARRAY_TASK_ID of --list; requeue on USR1 after a checkpoint")
      ("quiet", po::bool_switch(&a.quiet), "run-cell: do not copy the trainer's output to stdout");
  po::options_description other("other");
  cli::add_common_options(other);
  const std::string check_help = "status: exit " + std::to_string(kExitError) + " unless every cell is done";
  other.add_options()
      ("format", po::value(&a.format)->default_value("table"), "list: table, summary, ids or tsv; keys: table or ini")
      ("out", po::value(&a.out), "resolve: the file; export: the folder")
      ("pending", po::bool_switch(&a.pending), "status: only the cells not done")
      ("check", po::bool_switch(&a.check), check_help.c_str())
      ("no-queue", po::bool_switch(&a.no_queue), "status: do not ask squeue");
  po::options_description slurm_opts("submitting (submit; each is a --set slurm.KEY=VALUE)");
  for (const char* key : {"partition", "account", "qos", "time", "throttle", "ranks", "gpus-per-rank", "tasks-per-node"}) {
    std::string name = key;
    std::string set_key = name;
    std::replace(set_key.begin(), set_key.end(), '-', '_');
    if (name == "ranks") continue;  // --ranks is also run's; submit reads it below
    slurm_opts.add_options()(key, po::value<std::string>()->notifier([&a, set_key](const std::string& v) {
      a.slurm_sets.push_back("slurm." + set_key + "=" + v);
    }), ("[slurm] " + set_key).c_str());
  }
  slurm_opts.add_options()
      ("cell-script", po::value(&a.cell_script), "submit: the array tasks' script (default: jobs/cell.sh beside the presets)");
  po::options_description all;
  all.add(grid_opts).add(run_opts).add(slurm_opts).add(other);
  po::options_description hidden;
  hidden.add_options()("command", po::value(&a.command))("key", po::value(&a.key));
  po::options_description parse_opts;
  parse_opts.add(all).add(hidden);
  po::positional_options_description pos;
  pos.add("command", 1).add("key", 1);

  return cli::run_tool("xfer_grid", [&]() -> int {
    po::variables_map vm;
    const std::string usage = std::string("usage: xfer_grid COMMAND [options]\n\n") + commands_help();
    if (!cli::parse(argc, argv, parse_opts, vm, usage, &pos, &all)) return kExitDone;
    if (a.command.empty())
      throw cli::UsageError("give a command: list, run, run-cell, submit, status, export, resolve, get, keys or presets");
    if (a.command == "get" && a.key.empty()) throw cli::UsageError("get needs a key: xfer_grid get grid.results ...");
    a.sets.insert(a.sets.end(), a.slurm_sets.begin(), a.slurm_sets.end());
    if (a.command == "submit" && a.ranks > 0) a.sets.push_back("slurm.ranks=" + std::to_string(a.ranks));
    return run(a);
  });
}
