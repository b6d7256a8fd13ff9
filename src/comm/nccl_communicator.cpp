// nccl_communicator.cpp: collectives on GPU buffers over NCCL, bootstrapped
// over MPI the canonical way: rank 0 makes the ncclUniqueId, MPI_Bcast
// hands it to everyone, each rank selects the GPU of its node-local rank
// (MPI_Comm_split_type SHARED) and joins with ncclCommInitRank. Every NCCL
// collective is followed by a bounded wait that polls the communicator's
// asynchronous error, so a dead peer ends in an error naming the call, not
// a hang. Host statistics and barriers go over MPI.
//
// src/CMakeLists.txt compiles every comm/*.cpp; without CUDA this file
// provides only the factory, which says why it cannot work.
#include "comm/nccl_communicator.h"

#include "core/check.h"

#ifdef XFER_WITH_CUDA

#include <cuda_runtime.h>
#include "comm/mpi_world.h"
#include <nccl.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace xfer {

namespace {

#define XFER_NCCL_CUDA(call)                                                    \
  do {                                                                          \
    cudaError_t e_ = (call);                                                    \
    if (e_ != cudaSuccess)                                                      \
      XFER_FAIL("CUDA call " #call " failed: " << cudaGetErrorString(e_));      \
  } while (0)

#define XFER_NCCL(call)                                                         \
  do {                                                                          \
    ncclResult_t r_ = (call);                                                   \
    if (r_ != ncclSuccess && r_ != ncclInProgress)                              \
      XFER_FAIL("NCCL call " #call " failed: " << ncclGetErrorString(r_) << " (" \
                                               << ncclGetLastError(nullptr) << ")"); \
  } while (0)

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(int* argc, char*** argv) : world_(argc, argv) {
    if (const char* t = std::getenv("XFER_NCCL_TIMEOUT_S")) timeout_s_ = std::atof(t);

    // One GPU per rank: the node-local rank's, or device 0 where the
    // launcher already gave each rank a single visible GPU.
    int devices = 0;
    XFER_NCCL_CUDA(cudaGetDeviceCount(&devices));
    XFER_CHECK(devices == 1 || world_.local_rank < devices,
               "node-local rank " << world_.local_rank << " has no GPU of its own: " << devices
                                  << " visible for " << world_.local_size
                                  << " ranks on this node (start one rank per GPU)");
    device_ = devices == 1 ? 0 : world_.local_rank;
    XFER_NCCL_CUDA(cudaSetDevice(device_));
    XFER_NCCL_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));

    ncclUniqueId id;
    if (world_.rank == 0) XFER_NCCL(ncclGetUniqueId(&id));
    XFER_MPI(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD));
    XFER_NCCL(ncclCommInitRank(&comm_, world_.size, id, world_.rank));
  }

  ~NcclCommunicator() override {
    if (comm_) ncclCommDestroy(comm_);
    if (stream_) cudaStreamDestroy(stream_);
  }

  int rank() const override { return world_.rank; }
  int size() const override { return world_.size; }
  int local_rank() const override { return world_.local_rank; }
  int local_size() const override { return world_.local_size; }
  std::string name() const override { return "nccl"; }

  void allreduce_sum(float* data, size_t count) override {
    if (count == 0) return;
    // The caller has completed the backend's writes (Backend::synchronize,
    // as GradientSync does); this may run on a worker thread, whose current
    // device must be ours.
    XFER_NCCL_CUDA(cudaSetDevice(device_));
    XFER_NCCL(ncclAllReduce(data, data, count, ncclFloat, ncclSum, comm_, stream_));
    wait("ncclAllReduce");
    bytes_reduced_ += count * sizeof(float);
  }

  void allreduce_host_sum(double* data, size_t count) override {
    world_.allreduce_sum(data, count, MPI_DOUBLE, sizeof(double));
  }

  // Device buffers go over NCCL, host buffers over MPI.
  void broadcast(void* data, size_t bytes, int root) override {
    if (bytes == 0) return;
    cudaPointerAttributes attr{};
    XFER_NCCL_CUDA(cudaPointerGetAttributes(&attr, data));
    if (attr.type == cudaMemoryTypeDevice) {
      XFER_NCCL_CUDA(cudaSetDevice(device_));
      XFER_NCCL_CUDA(cudaDeviceSynchronize());  // rare (start-up): no need to be subtle
      XFER_NCCL(ncclBroadcast(data, data, bytes, ncclChar, root, comm_, stream_));
      wait("ncclBroadcast");
      return;
    }
    world_.broadcast(data, bytes, root);
  }

  void barrier() override { XFER_MPI(MPI_Barrier(MPI_COMM_WORLD)); }

  [[noreturn]] void abort(int code) override {
    if (comm_) ncclCommAbort(comm_);
    comm_ = nullptr;
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  // Waits for the collective on stream_, polling NCCL's asynchronous error;
  // on an error or after timeout_s_ the communicator is aborted and the
  // failure thrown (main then ends every rank).
  void wait(const char* what) {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const cudaError_t q = cudaStreamQuery(stream_);
      if (q == cudaSuccess) return;
      if (q != cudaErrorNotReady)
        XFER_FAIL(what << " failed on the device: " << cudaGetErrorString(q));
      ncclResult_t async = ncclSuccess;
      XFER_NCCL(ncclCommGetAsyncError(comm_, &async));
      if (async != ncclSuccess && async != ncclInProgress) {
        ncclCommAbort(comm_);
        comm_ = nullptr;
        XFER_FAIL(what << " failed: " << ncclGetErrorString(async) << " (communicator aborted)");
      }
      const double waited =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (waited > timeout_s_) {
        ncclCommAbort(comm_);
        comm_ = nullptr;
        XFER_FAIL(what << " did not finish within " << timeout_s_
                       << " s (XFER_NCCL_TIMEOUT_S); a peer is likely gone. Communicator aborted");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }

  MpiWorld world_;  // first member: MPI is up before NCCL and down after it
  int device_ = 0;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  double timeout_s_ = 600;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(int* argc, char*** argv) {
  return std::make_unique<NcclCommunicator>(argc, argv);
}

}  // namespace xfer

#else  // built without CUDA

namespace xfer {

std::unique_ptr<Communicator> make_nccl_communicator(int*, char***) {
  XFER_FAIL("the NCCL communicator is not built into this binary (no CUDA toolkit, cuDNN or "
            "NCCL was found at configure time)");
}

}  // namespace xfer

#endif
