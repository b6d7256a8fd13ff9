// cell_files.h: a cell's folder under the results directory, `<results>/<id>/`,
// and what its files say about the cell's state.
//
// Written by the trainer (xfer_train): checkpoint.h5, final.h5, config.ini,
// progress.json while it runs and, last and atomically, result.json (both
// read through result/). The trainer also locks its --out folder with <cell>/.lock.
// Written by the grid runner, beside them:
//   cell.json       the cell's id, the trainer arguments, its run identity and
//                   its data's identity (cell_identity); a finished cell is
//                   reused only while the identity matches
//   attempts.jsonl  one line per start and per exit of the trainer, and one
//                   "exit" without a start when the runner refused to start it
//                   (a missing data folder, too many attempts)
//   train.log       the trainer's output, each line prefixed with its UTC time,
//                   and the runner's own lines ("# xfer_grid: ...")
//   running.json    host, pid and SLURM job of a live attempt (removed at its end)
//   .cell.lock      held (flock) by the runner training the cell, so no two
//                   runners train it at once; it names that runner's pid and host
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "grid/grid.h"
#include "io/atomic_file.h"  // write_file_atomic
#include "result/result_file.h"  // RunResult

namespace xfer {

struct RunPaths {
  std::string results;  // the results directory
  std::string data;     // the data root: cell data is <data>/<cell.data_name()>
  std::string trainer;  // the xfer_train binary
};

std::string cell_dir(const std::string& results, const std::string& id);

// xfer_train's arguments for `cell` (without the program itself).
std::vector<std::string> trainer_args(const Grid& grid, const GridCell& cell, const RunPaths& paths,
                                      int threads);

// The cell's run identity (config/run_identity.h), computed as the trainer
// computes it from the arguments the grid gives it: its data folder's
// identity and, for a transfer, the base's identity from the base's
// result.json. When the data folder cannot be read now, `recorded_data` (what
// cell.json recorded) stands in for it.
struct CellIdentity {
  std::string run, data;
};
CellIdentity cell_identity(const Grid& grid, const GridCell& cell, const RunPaths& paths,
                           const std::string& recorded_data = "");

enum class CellStatus {
  NotStarted,  // no folder, or nothing in it yet
  Partial,     // a checkpoint to resume from, not running
  Queued,      // pending in squeue
  Running,     // a live attempt
  Done,        // result.json finished, and the run identity matches
  Failed,      // the last attempt ended with a real error
  Stale,       // results or checkpoint made with another configuration
};
const char* to_string(CellStatus s);

struct CellState {
  CellStatus status = CellStatus::NotStarted;
  std::string reason;  // Failed / Stale: why; Queued: squeue's reason
  bool diverged = false;  // Failed because the loss became NaN/inf: the same
                          // configuration would only diverge again, so no runner retries it
  std::string job;     // SLURM job of the live or last attempt ("123_4"), if any
  long iteration = -1;  // where result.json says it ended, else progress.json's last
  double eta_s = -1;   // Running: seconds left at the current attempt's pace
  int attempts = 0;    // trainer starts so far
  RunResult result;  // what result.json says, when present
};

// Jobs known to squeue: "<array job>_<task>" -> {state, reason}.
struct QueueInfo {
  bool available = false;  // squeue answered
  std::map<std::string, std::pair<std::string, std::string>> jobs;
  // The latest job submitted for each cell id (from <results>/.slurm/submitted.tsv).
  std::map<std::string, std::string> job_of_cell;
};
QueueInfo query_queue(const std::string& results);

CellState inspect_cell(const Grid& grid, const GridCell& cell, const RunPaths& paths,
                       const QueueInfo* queue = nullptr);

// What the result.json in the cell folder `dir` says about its run
// (summarize_result()).
RunResult read_result(const std::string& dir);
bool result_finished(const std::string& dir);

// The lock file a runner holds while it trains the cell in `dir`.
std::string cell_lock_path(const std::string& dir);

// Small file helpers shared by the runner and status.
bool read_json(const std::string& path, nlohmann::json& out);

void append_line(const std::string& path, const std::string& line);
std::string utc_now();
double now_seconds();

}  // namespace xfer
