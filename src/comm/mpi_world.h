// mpi_world.h: what both MPI-based communicators (mpi, nccl) share: MPI
// started once, errors returned as exceptions naming the call, the world
// rank and size, the node-local rank from MPI_Comm_split_type(SHARED) (never
// from host names), and chunked collectives on host buffers.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <string>

#include "core/check.h"

#define XFER_MPI(call)                                                     \
  do {                                                                     \
    int rc_ = (call);                                                      \
    if (rc_ != MPI_SUCCESS) {                                              \
      char msg_[MPI_MAX_ERROR_STRING];                                     \
      int len_ = 0;                                                        \
      MPI_Error_string(rc_, msg_, &len_);                                  \
      XFER_FAIL("MPI call " #call " failed: " << std::string(msg_, len_)); \
    }                                                                      \
  } while (0)

namespace xfer {

class MpiWorld {
 public:
  // Initialises MPI (thread level SERIALIZED) unless it already is; only the
  // object that initialised it finalises it.
  MpiWorld(int* argc, char*** argv);
  ~MpiWorld();
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  int rank = 0, size = 1, local_rank = 0, local_size = 1;

  // In-place sums over MPI_COMM_WORLD, in chunks of at most 2^30 elements
  // (MPI counts are ints).
  void allreduce_sum(void* data, size_t count, MPI_Datatype type, size_t elem_bytes);
  void broadcast(void* data, size_t bytes, int root);

 private:
  void split_by_node();
  MPI_Comm local_ = MPI_COMM_NULL;
  bool owns_ = false;
};

}  // namespace xfer
