// mpi_world.cpp: MPI start-up and the chunked host collectives.
#include "comm/mpi_world.h"

#include <algorithm>

namespace xfer {

MpiWorld::MpiWorld(int* argc, char*** argv) {
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    int provided = 0;
    XFER_MPI(MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided));
    owns_ = true;
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  XFER_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  XFER_MPI(MPI_Comm_size(MPI_COMM_WORLD, &size));
  set_error_context(rank, size);
  XFER_MPI(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local_));
  XFER_MPI(MPI_Comm_rank(local_, &local_rank));
  XFER_MPI(MPI_Comm_size(local_, &local_size));
}

MpiWorld::~MpiWorld() {
  if (local_ != MPI_COMM_NULL) MPI_Comm_free(&local_);
  if (owns_) MPI_Finalize();
}

void MpiWorld::allreduce_sum(void* data, size_t count, MPI_Datatype type, size_t elem_bytes) {
  auto* p = static_cast<char*>(data);
  while (count > 0) {
    const int n = int(std::min<size_t>(count, size_t(1) << 30));
    XFER_MPI(MPI_Allreduce(MPI_IN_PLACE, p, n, type, MPI_SUM, MPI_COMM_WORLD));
    p += size_t(n) * elem_bytes;
    count -= size_t(n);
  }
}

void MpiWorld::broadcast(void* data, size_t bytes, int root) {
  auto* p = static_cast<char*>(data);
  while (bytes > 0) {
    const int n = int(std::min<size_t>(bytes, size_t(1) << 30));
    XFER_MPI(MPI_Bcast(p, n, MPI_BYTE, root, MPI_COMM_WORLD));
    p += n;
    bytes -= size_t(n);
  }
}

}  // namespace xfer
