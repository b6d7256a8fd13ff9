// cell_state.h: what a cell's folder, the queue and the grid together say
// about the cell: not started, partial, queued, running, done, failed or
// stale (done or started with another configuration).
#pragma once

#include <string>

#include "grid/cell_trainer.h"
#include "grid/grid.h"
#include "grid/slurm.h"
#include "result/result_file.h"  // RunResult

namespace xfer {

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

// The state of `cell` under `paths.results`; `queue` (squeue, submitted.tsv)
// when SLURM may hold it. `identities` reads each data folder once.
CellState inspect_cell(const Grid& grid, const GridCell& cell, const RunPaths& paths,
                       DataIdentities& identities, const QueueInfo* queue = nullptr);

}  // namespace xfer
