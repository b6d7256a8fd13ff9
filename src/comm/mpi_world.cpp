// mpi_world.cpp: MPI start-up and the chunked host collectives.
#include "comm/mpi_world.h"

#include <algorithm>

#include "core/cli.h"  // env_int

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
  split_by_node();
  XFER_MPI(MPI_Comm_rank(local_, &local_rank));
  XFER_MPI(MPI_Comm_size(local_, &local_size));
}

namespace {

// This process's node as srun placed it (SLURM_NODEID), or -1 when srun did
// not start it: inside a batch job every process inherits SLURM_NODEID, but
// only srun gives each its own SLURM_PROCID, equal to its MPI rank.
int srun_node_id(int rank) {
  if (cli::env_int("SLURM_PROCID", -1) != rank) return -1;
  return cli::env_int("SLURM_NODEID", -1);
}

}  // namespace

// The ranks that share a node, as the launcher placed them: under srun its
// node ids (so the node-local rank that picks a GPU is the one SLURM bound
// devices for, and two slurmd nodes on one test machine count as two), else
// the ranks that share memory. Every rank must choose the same way.
void MpiWorld::split_by_node() {
  const int node = srun_node_id(rank);
  int all_srun = node >= 0 ? 1 : 0;
  XFER_MPI(MPI_Allreduce(MPI_IN_PLACE, &all_srun, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD));
  if (all_srun)
    XFER_MPI(MPI_Comm_split(MPI_COMM_WORLD, node, rank, &local_));
  else
    XFER_MPI(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local_));
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
