// make_communicator.h: the one place that chooses how a process's ranks
// talk. Its launcher decides the first communicator: MPI when mpirun or srun
// started it (or XFER_COMM=mpi), else a single process (XFER_COMM=single
// forces one). Gradients go over that one, or over NCCL where they live in
// GPU memory across ranks; MPI then stays underneath for NCCL's bootstrap,
// the host statistics and abort.
#pragma once

#include <memory>
#include <string>

#include "comm/communicator.h"

namespace xfer {

// The launcher's communicator: single or MPI.
std::unique_ptr<Communicator> make_communicator(int* argc, char*** argv);
// True when the environment says an MPI launcher started this process.
bool launched_by_mpi();

// A program's communicators. The launcher's is made at once (a program needs
// its rank before it reads its options); the gradients' when the backend is
// known.
class Communicators {
 public:
  Communicators(int* argc, char*** argv);
  // Ranks, host statistics, messages printed once, abort after an error.
  Communicator& process() const { return *process_; }
  // What the gradients of `backend` ("cpu", "cuda") go over: NCCL for
  // "cuda" across ranks, else process(). Made on the first call.
  Communicator& for_gradients(const std::string& backend);

 private:
  int* argc_;
  char*** argv_;
  std::unique_ptr<Communicator> process_;
  std::unique_ptr<Communicator> device_;  // NCCL or null; declared last, so it ends first
};

}  // namespace xfer
