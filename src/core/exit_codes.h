// exit_codes.h: the exit codes of xfer_train and of one grid cell
// (`xfer_grid run-cell`, jobs/cell.sh), defined once: the runner passes the
// trainer's codes on as they are, and SLURM fails an array task on any
// non-zero code, so afterok dependents of a failed or diverged cell never start.
#pragma once

namespace xfer {

constexpr int kExitDone = 0;       // finished (now or before)
constexpr int kExitError = 1;      // an error, named in one line; not worth retrying as is
constexpr int kExitUsage = 2;      // bad usage or configuration
constexpr int kExitDiverged = 3;   // a loss went NaN/inf: result.json says "diverged"
constexpr int kExitBusy = 4;       // another process holds the cell's lock; left to it
constexpr int kExitStopped = 75;   // checkpointed on SIGUSR1/SIGTERM/SIGINT/SIGHUP: run again to resume
constexpr int kExitCannotExec = 127;  // a started child whose exec failed (the shell's code)

}  // namespace xfer
