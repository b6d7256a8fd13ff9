// nccl_communicator.h: the NCCL communicator, for gradients in GPU memory.
// Under an MPI launcher, MPI bootstraps NCCL (rank 0's ncclUniqueId is
// broadcast over MPI) and each rank drives the GPU of its node-local rank;
// without one it is a single rank on one GPU and needs no MPI runtime.
// allreduce_sum takes device pointers whose writes the caller has completed
// and may be called from a worker thread; enqueue_allreduce_sum orders the
// sum behind the producer's stream instead (what train/GradientSync uses);
// broadcast takes device or host pointers (it looks, and waits for the
// device); allreduce_host_sum and barrier go over MPI (nothing to do for a
// single rank). Device waits are bounded by XFER_NCCL_TIMEOUT_S (600 s).
#pragma once

#include <memory>

#include "comm/communicator.h"

namespace xfer {

// Under an MPI launcher (or XFER_COMM=mpi): initialises MPI if nobody has,
// picks this rank's GPU (the node-local rank, or device 0 where each rank
// sees a single GPU) and creates the NCCL communicator. Otherwise rank 0 of
// 1 on device 0, without MPI. Compiled only with CUDA; programs reach it
// through comm/make_communicator.h.
std::unique_ptr<Communicator> make_nccl_communicator(int* argc, char*** argv);

}  // namespace xfer
