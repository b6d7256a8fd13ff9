// mpi_communicator.cpp: collectives over MPI on host buffers (the CPU
// backend's gradients). Errors become exceptions that name the call; main
// then aborts the whole job.
#include <cstdlib>
#include <string>

#include "comm/communicator.h"
#include "comm/mpi_world.h"

namespace xfer {

namespace {

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(int* argc, char*** argv) : world_(argc, argv) {}
  int rank() const override { return world_.rank; }
  int size() const override { return world_.size; }
  int local_rank() const override { return world_.local_rank; }
  int local_size() const override { return world_.local_size; }
  std::string name() const override { return "mpi"; }

  void allreduce_sum(float* data, size_t count) override {
    world_.allreduce_sum(data, count, MPI_FLOAT, sizeof(float));
    bytes_reduced_ += count * sizeof(float);
  }
  void allreduce_host_sum(double* data, size_t count) override {
    world_.allreduce_sum(data, count, MPI_DOUBLE, sizeof(double));
  }
  void broadcast(void* data, size_t bytes, int root) override { world_.broadcast(data, bytes, root); }
  void barrier() override { XFER_MPI(MPI_Barrier(MPI_COMM_WORLD)); }
  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  MpiWorld world_;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator(int* argc, char*** argv) {
  return std::make_unique<MpiCommunicator>(argc, argv);
}

}  // namespace xfer
