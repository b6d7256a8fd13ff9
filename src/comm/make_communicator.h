// make_communicator.h: picks the communicator for this process: MPI when
// started by mpirun or srun (or XFER_COMM=mpi), else a single process.
// XFER_COMM=single forces one process.
#pragma once

#include <memory>

#include "comm/communicator.h"

namespace xfer {

std::unique_ptr<Communicator> make_communicator(int* argc, char*** argv);
// True when the environment says an MPI launcher started this process.
bool launched_by_mpi();

}  // namespace xfer
