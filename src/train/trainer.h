// trainer.h: one training run, as xfer_train performs it: build the net,
// copy/freeze layers for a transfer, resume from a checkpoint, train with the
// paper's solver, validate every test_interval, write checkpoints and the
// result file. Data parallel over the communicator's ranks.
#pragma once

#include "comm/communicator.h"
#include "config/train_config.h"
#include "core/exit_codes.h"

namespace xfer {

// Exit codes of a run: core/exit_codes.h (the grid's runner relies on them).

// Trains as configured; returns kExitDone, kExitStopped or kExitDiverged (the
// first non-finite training or test loss ends the run on every rank, keeps the
// last good checkpoint and writes a result that says diverged). Throws on errors.
int run_training(const TrainConfig& cfg, Communicator& comm);

// Installs SIGUSR1/SIGTERM/SIGINT/SIGHUP handlers that ask a running training to stop at
// the next iteration boundary after writing a checkpoint.
void install_stop_handlers();
// For tests: ask the run to stop as a signal would.
void request_stop();

}  // namespace xfer
