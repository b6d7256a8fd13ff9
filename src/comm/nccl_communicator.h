// nccl_communicator.h: the NCCL communicator, for gradients in GPU memory.
// MPI starts the processes and bootstraps NCCL (rank 0's ncclUniqueId is
// broadcast over MPI); each rank drives the GPU of its node-local rank.
// allreduce_sum takes device pointers whose writes the caller has completed
// (Backend::synchronize, as train/GradientSync does before each bucket) and
// may be called from a worker thread; broadcast takes device or host
// pointers (it looks, and waits for the device); allreduce_host_sum and
// barrier go over MPI.
#pragma once

#include <memory>

#include "comm/communicator.h"

namespace xfer {

// Initialises MPI if nobody has, picks this rank's GPU (the node-local rank,
// or device 0 where each rank sees a single GPU) and creates the NCCL
// communicator. Throws where the binary was built without CUDA/NCCL.
std::unique_ptr<Communicator> make_nccl_communicator(int* argc, char*** argv);

}  // namespace xfer
