// grid_main.cpp: xfer_grid, the experiment grid's command line. Lists the cells
// of a grid config, runs one cell (as a SLURM array task does) or the whole
// grid on this machine, plans a SLURM submission for jobs/grid.sh, and shows
// every cell's state.
//
//   xfer_grid list     --preset paper                      the cells, deps, cost
//   xfer_grid run      --preset fashion-mnist -j 2          the grid, locally
//   xfer_grid run-cell --grid G --id half0-AB-n3-frozen     one cell (one attempt)
//   xfer_grid plan     --grid G --results R --out DIR       for jobs/grid.sh
//   xfer_grid status   --results R                          every cell's state
//   xfer_grid resolve  --preset paper --set k=v --out F     the resolved config
#include <unistd.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "core/cli.h"
#include "core/provenance.h"
#include "grid/cell_files.h"
#include "grid/grid.h"
#include "grid/grid_views.h"
#include "grid/runner.h"
#include "grid/slurm_plan.h"
#include "grid/status.h"

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
  std::string results, data, trainer, out, format, launch, job, id, list_file;
  int index = -1, task = -1, jobs = 1, ranks = 0, threads = 0;
  bool rerun_stale = false, dry_run = false, quiet = false, check = false, pending = false,
       no_queue = false;
};

const char* kCommands =
    "commands:\n"
    "  list      the cells of the grid: index, id, kind, data, dependencies, cost\n"
    "  run       run every unfinished cell here, bases first (-j cells at once)\n"
    "  run-cell  run one cell (--id, --index, or --list FILE --task N) to the end\n"
    "            of one attempt; exit 0 done, 75 stopped after a checkpoint, 2 bad\n"
    "            usage or a missing data folder, 3 diverged, 4 being trained by\n"
    "            another runner (left to it), 1 any other error\n"
    "  plan      work out a SLURM submission into --out DIR (used by jobs/grid.sh)\n"
    "  status    every cell's state from the results directory, squeue and sacct\n"
    "  resolve   write the resolved grid config (--out FILE, or stdout)\n";

std::string self_dir() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "." : p.parent_path().string();
}

// Where presets live: --grids-dir, else $XFER_GRIDS_DIR, else beside an
// installed xfer_grid (<bin>/../share/xfer/jobs/grids), else the source tree
// it was built from.
std::string presets_dir(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("XFER_GRIDS_DIR"); env && *env) return env;
  const fs::path installed = fs::path(self_dir()) / ".." / "share" / "xfer" / "jobs" / "grids";
  std::error_code ec;
  if (fs::is_directory(installed, ec)) return installed.lexically_normal().string();
  return XFER_GRIDS_DIR;
}

Grid load(const Args& a, std::string& config_path) {
  std::string path = a.grid_file;
  if (path.empty() && !a.preset.empty())
    path = preset_path(a.preset, presets_dir(a.grids_dir));
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
  return 0;
}

// What every cell to submit needs, checked in seconds before anything is
// submitted (a missing piece would otherwise fail each cell when it starts,
// hours later): its data folder (a view or a folder of shards), and a trainer built with the
// grid's backend. Returns the first missing piece, or "".
std::string missing_for_submission(const Grid& grid, const Plan& plan, const std::string& data,
                                   const std::string& trainer, const std::vector<std::string>& to_make) {
  std::vector<std::string> ids;
  for (const auto& g : plan.groups) ids.insert(ids.end(), g.ids.begin(), g.ids.end());
  if (std::string bad = missing_data(grid, ids, data, to_make); !bad.empty()) return bad;
  FILE* p = popen(("'" + trainer + "' --version 2>&1").c_str(), "r");
  std::string version;
  char buf[256];
  while (p && std::fgets(buf, sizeof buf, p)) version += buf;
  if (!p || pclose(p) != 0) return "the trainer " + trainer + " does not run (--version failed)";
  const auto line = version.find("  backends ");
  const std::string backends = line == std::string::npos ? "" : version.substr(line + 11, version.find('\n', line) - line - 11);
  if ((" " + backends + " ").find(" " + grid.config.backend + " ") == std::string::npos)
    return "the trainer " + trainer + " is built without the '" + grid.config.backend +
           "' backend the grid asks for (built: " + (backends.empty() ? "unknown" : backends) + ")";
  return "";
}

int plan_command(const Args& a, const Grid& grid, const std::string& results) {
  if (a.out.empty()) throw po::error("plan needs --out DIR");
  QueueInfo queue;
  if (!a.no_queue) queue = query_queue(results);
  const std::string data = a.data.empty() ? grid.config.data : a.data;
  // A dry run makes no view: it says which a submission would make first.
  const std::vector<std::string> to_make = a.dry_run ? splits_to_make(grid, absolute(data)) : std::vector<std::string>{};
  for (const auto& def : to_make)
    std::cout << "xfer_grid: (dry run) a submission first makes the views of " << def << "\n";
  Plan plan = make_plan(grid, RunPaths{results, absolute(data), ""}, queue, a.rerun_stale);
  if (!plan.stale.empty()) {
    std::cerr << "xfer_grid: these cells were made with another configuration; move their "
                 "folders away, or submit with --rerun-stale to retrain them:\n";
    for (const auto& s : plan.stale) std::cerr << "  " << s << "\n";
    return 1;
  }
  if (!plan.left_out.empty()) {
    std::cerr << "xfer_grid: not submitted: these cells diverged, or copy from one that did; "
                 "change the solver settings or move their folders away to train them again:\n";
    for (const auto& s : plan.left_out) std::cerr << "  " << s << "\n";
  }
  if (!a.data.empty() || !a.trainer.empty()) {
    const std::string trainer = a.trainer.empty() ? self_dir() + "/xfer_train" : absolute(a.trainer);
    const std::string missing =
        missing_for_submission(grid, plan, data, trainer, to_make);
    if (!missing.empty()) {
      std::cerr << "xfer_grid: nothing submitted: " << missing << "\n";
      return 1;
    }
  }
  write_plan(plan, grid, absolute(results), a.out);
  size_t todo = 0;
  for (const auto& g : plan.groups) todo += g.ids.size();
  std::cout << "xfer_grid: grid '" << grid.config.name << "': " << grid.cells.size()
            << " cells, " << plan.done << " done, " << plan.active << " already queued or running, "
            << (plan.left_out.empty() ? "" : std::to_string(plan.left_out.size()) + " left out, ")
            << todo << " to submit in " << plan.groups.size() << " array job(s)\n";
  return 0;
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

int run(const Args& a) {
  if (a.command == "status" && !a.results.empty() && results_missing(a.results)) return 1;
  std::string config_path;
  Grid grid = load(a, config_path);
  std::string results = a.results.empty() ? grid.config.results : a.results;
  std::string data = a.data.empty() ? grid.config.data : a.data;

  if (a.command == "list") return list_command(a, grid, config_path);
  if (a.command == "resolve") {
    std::string text = to_ini(grid.config);
    if (a.out.empty()) {
      std::cout << text;
    } else {
      fs::create_directories(fs::path(a.out).parent_path().empty() ? "." : fs::path(a.out).parent_path());
      write_file_atomic(a.out, text);
    }
    return 0;
  }
  if (a.command == "status") {
    if (results_missing(results)) return 1;
    StatusOptions so;
    so.all = !a.pending;
    so.use_queue = !a.no_queue;
    size_t left = print_status(grid, RunPaths{results, absolute(data), ""}, so);
    return a.check && left > 0 ? 1 : 0;
  }
  // Views a cell needs and nobody made yet are made now, before anything runs.
  if ((a.command == "plan" || a.command == "run") && !a.dry_run && !data.empty())
    make_missing_views(grid, absolute(data), self_dir() + "/xfer_make_views");
  if (a.command == "plan") return plan_command(a, grid, results);

  RunOptions opt = run_options(a, results, data);
  if (a.command == "run-cell") return run_cell(grid, run_cell_target(a, grid), opt);
  if (a.command == "run") {
    if (a.dry_run) {
      for (const auto& c : grid.cells) run_cell(grid, c, opt);
      return 0;
    }
    fs::create_directories(opt.paths.results);
    write_file_atomic(opt.paths.results + "/grid.ini", to_ini(grid.config));
    return run_local(grid, opt);
  }
  throw po::error("unknown command '" + a.command + "'");
}

}  // namespace

int main(int argc, char** argv) {
  if (xfer::print_version_if_asked(argc, argv, "xfer_grid", {})) return 0;
  Args a;
  po::options_description grid_opts("grid");
  grid_opts.add_options()
      ("preset", po::value(&a.preset), "a preset: paper, complete, fashion-mnist, fashion-mnist-converged (jobs/grids/NAME.ini)")
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
      ("dry-run", po::bool_switch(&a.dry_run), "run: print the trainer command lines, run nothing; plan: make no missing view")
      ("quiet", po::bool_switch(&a.quiet), "run-cell: do not copy the trainer's output to stdout");
  po::options_description other("other");
  cli::add_common_options(other);
  other.add_options()
      ("format", po::value(&a.format)->default_value("table"), "list: table, summary, ids or tsv")
      ("out", po::value(&a.out), "plan: the folder to write; resolve: the file")
      ("pending", po::bool_switch(&a.pending), "status: only the cells not done")
      ("check", po::bool_switch(&a.check), "status: exit 1 unless every cell is done")
      ("no-queue", po::bool_switch(&a.no_queue), "status, plan: do not ask squeue");
  po::options_description all;
  all.add(grid_opts).add(run_opts).add(other);
  po::options_description hidden;
  hidden.add_options()("command", po::value(&a.command));
  po::options_description parse_opts;
  parse_opts.add(all).add(hidden);
  po::positional_options_description pos;
  pos.add("command", 1);

  return cli::run_tool("xfer_grid", [&]() -> int {
    po::variables_map vm;
    const std::string usage = std::string("usage: xfer_grid COMMAND [options]\n\n") + kCommands;
    if (!cli::parse(argc, argv, parse_opts, vm, usage, &pos, &all)) return 0;
    if (a.command.empty()) throw cli::UsageError("give a command: list, run, run-cell, plan, status or resolve");
    return run(a);
  });
}
