// status.h: the state of every cell of a grid, from its results directory and
// squeue: done, running (iteration and ETA), queued (with squeue's reason),
// partial (a checkpoint waiting), not started, failed (with the reason), stale.
#pragma once

#include <string>

#include "grid/cell_trainer.h"  // RunPaths
#include "grid/grid.h"

namespace xfer {

struct StatusOptions {
  bool all = true;      // every cell, or only those not done
  bool use_queue = true;
};

// Prints the table and a summary; returns the number of cells not done.
// `paths.data` may be empty or unreadable: cells keep the data identity they
// recorded (cell_identity).
size_t print_status(const Grid& grid, const RunPaths& paths, const StatusOptions& opt);

}  // namespace xfer
