// grid_config.h: the grid configuration, an INI file per preset under
// jobs/grids/ (`xfer_grid presets` lists them), plus `section.key=value`
// overrides from the command line. It says which cells exist, how each is
// trained (solver numbers in one [solver] section) and what SLURM resources a
// cell asks for. Every key is declared once, in grid_keys.h (`xfer_grid keys`
// prints them); the grid is enumerated from the configuration in grid.h.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "grid/cell.h"
#include "solver/solver_spec.h"

namespace xfer {

// A [solver] section: the trainer's solver settings (its --base-lr ...
// --snapshot-interval; keys not given are the network preset's), plus what
// only the grid knows.
struct SolverSettings : SolverSpec {
  // Tests start after this fraction of max_iter (test_start is test_from x
  // max_iter): a fraction, so that shrinking max_iter with --set keeps the
  // tests on the end of the run. 0: from the start.
  double test_from = 0;
  int threads = 0;  // the trainer's --threads; 0: the runner decides
};

struct TransferBlock {
  std::string name;
  std::vector<std::string> splits;
  std::vector<std::string> directions;  // "AB": copy from A's base, train on B
  std::vector<int> n;
  std::vector<TransferMode> modes;
  std::vector<std::string> bn;  // the bn axis: {""} on a network without batch normalisation
};

struct RandomBlock {
  std::string name;
  std::vector<std::string> splits;
  std::vector<char> halves;  // empty: the split has no halves ("all")
  std::vector<int> n;
  std::vector<std::string> bn;  // as TransferBlock's
};

struct SlurmSettings {
  int ranks = 1;
  int tasks_per_node = 0;  // 0: SLURM places the ranks; N: N per node
  std::string launcher = "auto";  // auto (srun under SLURM), srun, mpirun: how a cell's ranks start
  std::string mpi = "pmix";       // srun --mpi=<this>: pmix, pmi2 (what the site's MPI was built for)
  int gpus_per_rank = 1;
  int cpus_per_rank = 4;
  std::string mem;
  std::string time = "2-00:00:00";
  std::string partition;
  std::string account;
  std::string qos;
  int throttle = 0;        // 0: no %N limit on arrays
  int signal_secs = 300;
  int max_requeues = 50;
  std::string extra;
};

struct GridConfig {
  // Every resolved "section.key" -> value, in the form written back by to_ini().
  std::map<std::string, std::string> raw;
  // What every key read came to, defaults included ("grid.results" ->
  // "results/paper"): `xfer_grid get`, so no script reads the INI itself.
  std::map<std::string, std::string> resolved;
  // Sections in the order the file gave them: blocks enumerate in this order.
  std::vector<std::string> section_order;

  std::string name;
  std::string network;
  std::string backend;  // the trainer's --backend
  int fc8_outputs = 0;
  std::vector<int> seeds{0};
  std::string trainer_config;
  std::string data;
  std::string results;
  double images_per_sec = 100;

  SolverSettings solver;
  SolverSettings reduced_solver;

  std::vector<std::string> base_splits;
  bool all_base = false;
  std::vector<int> reduced_k;
  // A continued base (cell.h) for every half base of a split, per seed.
  bool continued = false;

  std::map<std::string, std::string> split_files;  // [splits]: name -> definition file

  std::vector<TransferBlock> transfers;
  std::vector<RandomBlock> randoms;
  SlurmSettings slurm;
};

// Reads `path` (INI), applies `overrides` ("section.key=value", later wins) and
// checks the result. Throws std::runtime_error with a message that names the key.
GridConfig load_grid_config(const std::string& path, const std::vector<std::string>& overrides);

// The same from already parsed keys (tests, and load_grid_config itself).
GridConfig parse_grid_config(const std::map<std::string, std::string>& raw,
                             const std::vector<std::string>& section_order = {});

// The resolved configuration as INI text; load_grid_config of it gives the same grid.
std::string to_ini(const GridConfig& cfg);

// Where presets live: `given` (--grids-dir), else $XFER_GRIDS_DIR, else beside
// an installed program (`program_dir`/../share/xfer/jobs/grids), else
// `built_from` (the source tree's jobs/grids the programs were built from).
std::string presets_dir(const std::string& given, const std::string& program_dir, const std::string& built_from);

// The file of a named preset, `<dir>/<name>.ini`; throws naming the presets
// there when there is none.
std::string preset_path(const std::string& name, const std::string& dir);

// The presets in `dir`: every NAME.ini that is a grid config (has [grid]), sorted.
std::vector<std::string> list_presets(const std::string& dir);


}  // namespace xfer
