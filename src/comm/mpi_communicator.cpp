// mpi_communicator.cpp: collectives over MPI on host buffers. The node-local
// rank comes from MPI_Comm_split_type(MPI_COMM_TYPE_SHARED), never from host
// names. Errors return to us (MPI_ERRORS_RETURN) and become exceptions that
// name the call; main then aborts the whole job.
#include <mpi.h>

#include <cstdlib>
#include <string>

#include "comm/communicator.h"
#include "comm/make_communicator.h"
#include "core/check.h"

namespace xfer {

namespace {

#define XFER_MPI(call)                                                            \
  do {                                                                            \
    int rc_ = (call);                                                             \
    if (rc_ != MPI_SUCCESS) {                                                     \
      char msg_[MPI_MAX_ERROR_STRING];                                            \
      int len_ = 0;                                                               \
      MPI_Error_string(rc_, msg_, &len_);                                         \
      XFER_FAIL("MPI call " #call " failed: " << std::string(msg_, len_));        \
    }                                                                             \
  } while (0)

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(int* argc, char*** argv) {
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
      int provided = 0;
      XFER_MPI(MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided));
      owns_ = true;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    XFER_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
    XFER_MPI(MPI_Comm_size(MPI_COMM_WORLD, &size_));
    XFER_MPI(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local_));
    XFER_MPI(MPI_Comm_rank(local_, &local_rank_));
    XFER_MPI(MPI_Comm_size(local_, &local_size_));
  }
  ~MpiCommunicator() override {
    if (local_ != MPI_COMM_NULL) MPI_Comm_free(&local_);
    if (owns_) MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  std::string name() const override { return "mpi"; }

  void allreduce_sum(float* data, size_t count) override {
    reduce(data, count, MPI_FLOAT);
    bytes_reduced_ += count * sizeof(float);
  }
  void allreduce_host_sum(double* data, size_t count) override {
    reduce(data, count, MPI_DOUBLE);
  }
  void broadcast(void* data, size_t bytes, int root) override {
    auto* p = static_cast<char*>(data);
    while (bytes > 0) {
      int n = int(std::min<size_t>(bytes, 1u << 30));
      XFER_MPI(MPI_Bcast(p, n, MPI_BYTE, root, MPI_COMM_WORLD));
      p += n;
      bytes -= n;
    }
  }
  void barrier() override { XFER_MPI(MPI_Barrier(MPI_COMM_WORLD)); }
  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  template <class T>
  void reduce(T* data, size_t count, MPI_Datatype type) {
    // MPI counts are ints: reduce in chunks of at most 2^30 elements.
    while (count > 0) {
      int n = int(std::min<size_t>(count, 1u << 30));
      XFER_MPI(MPI_Allreduce(MPI_IN_PLACE, data, n, type, MPI_SUM, MPI_COMM_WORLD));
      data += n;
      count -= n;
    }
  }

  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  MPI_Comm local_ = MPI_COMM_NULL;
  bool owns_ = false;
};

}  // namespace

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

std::unique_ptr<Communicator> make_communicator(int* argc, char*** argv) {
  const char* forced = std::getenv("XFER_COMM");
  std::string want = forced ? forced : (launched_by_mpi() ? "mpi" : "single");
  if (want == "single") return make_single_communicator();
  if (want == "mpi") return std::make_unique<MpiCommunicator>(argc, argv);
  XFER_FAIL("XFER_COMM must be single or mpi, got '" << want << "'");
}

}  // namespace xfer
