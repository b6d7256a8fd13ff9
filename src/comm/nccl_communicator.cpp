// nccl_communicator.cpp: collectives on GPU buffers over NCCL. Started by
// an MPI launcher, it bootstraps the canonical way: rank 0 makes the
// ncclUniqueId, MPI_Bcast hands it to everyone, each rank selects the GPU of
// its node-local rank (MPI_Comm_split_type SHARED) and joins with
// ncclCommInitRank; host statistics and barriers go over MPI. Started
// without a launcher, it is rank 0 of 1 and never touches MPI, so one GPU
// runs the whole NCCL path (init, launch, stream waits, error polling,
// broadcast) on a machine that has no MPI runtime.
//
// Sums are enqueued on our own stream behind an event recorded on the
// producer's stream, so the host never waits per bucket; every wait on the
// device is bounded and polls the communicator's asynchronous error, so a
// dead peer ends in an error naming the call, not a hang.
//
// Compiled only with CUDA (src/CMakeLists.txt); comm/make_communicator.cpp
// says why it is missing elsewhere.
#include "comm/nccl_communicator.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backend/cuda/cuda_runtime_check.h"
#include "comm/make_communicator.h"
#include "comm/mpi_world.h"
#include "core/check.h"

namespace xfer::status {

// NCCL's status for XFER_CHECK_STATUS (core/check.h). In progress counts as
// success: nonblocking calls return it, and wait() polls the asynchronous
// error.
inline bool ok(ncclResult_t r) { return r == ncclSuccess || r == ncclInProgress; }
inline std::string text(ncclResult_t r) {
  const char* last = ncclGetLastError(nullptr);
  return std::string(ncclGetErrorString(r)) + " (" + (last ? last : "") + ")";
}

}  // namespace xfer::status

#define XFER_NCCL(call) XFER_CHECK_STATUS("NCCL", call)

namespace xfer {

namespace {

class NcclCommunicator final : public Communicator {
 public:
  // world: the MPI world to bootstrap over, or null for a single rank.
  explicit NcclCommunicator(std::unique_ptr<MpiWorld> world) : world_(std::move(world)) {
    if (const char* t = std::getenv("XFER_NCCL_TIMEOUT_S")) timeout_s_ = std::atof(t);
    if (world_) {
      rank_ = world_->rank;
      size_ = world_->size;
      local_rank_ = world_->local_rank;
      local_size_ = world_->local_size;
    }
    select_device();
    XFER_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    XFER_CUDA(cudaEventCreateWithFlags(&produced_, cudaEventDisableTiming));
    ncclUniqueId id;
    std::memset(&id, 0, sizeof(id));
    if (rank_ == 0) XFER_NCCL(ncclGetUniqueId(&id));
    if (world_) XFER_MPI(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD));
    XFER_NCCL(ncclCommInitRank(&comm_, size_, id, rank_));
  }

  ~NcclCommunicator() override {
    if (comm_) ncclCommDestroy(comm_);
    for (auto& t : timing_) {
      cudaEventDestroy(t.start);
      cudaEventDestroy(t.stop);
    }
    if (produced_) cudaEventDestroy(produced_);
    if (stream_) cudaStreamDestroy(stream_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  int local_size() const override { return local_size_; }
  std::string name() const override { return "nccl"; }

  // The caller has completed the writes to `data`; may run on a worker
  // thread, whose current device must be ours.
  void allreduce_sum(float* data, size_t count) override {
    if (count == 0) return;
    XFER_CUDA(cudaSetDevice(device_));
    XFER_NCCL(ncclAllReduce(data, data, count, ncclFloat, ncclSum, comm_, stream_));
    wait("ncclAllReduce");
    bytes_reduced_ += count * sizeof(float);
  }

  bool enqueues_on_device() const override { return true; }

  // Our stream waits for what is on the producer's stream now (the event's
  // record is taken at the time of cudaStreamWaitEvent, so one event serves
  // every bucket); the host goes on at once.
  void enqueue_allreduce_sum(float* data, size_t count, void* stream) override {
    if (count == 0) return;
    XFER_CUDA(cudaSetDevice(device_));
    XFER_CUDA(cudaEventRecord(produced_, static_cast<cudaStream_t>(stream)));
    XFER_CUDA(cudaStreamWaitEvent(stream_, produced_, 0));
    // Timed from after the wait, so only the sum itself counts.
    if (timed_ == timing_.size()) timing_.push_back(make_timing());
    const Timing& t = timing_[timed_++];
    XFER_CUDA(cudaEventRecord(t.start, stream_));
    XFER_NCCL(ncclAllReduce(data, data, count, ncclFloat, ncclSum, comm_, stream_));
    XFER_CUDA(cudaEventRecord(t.stop, stream_));
    bytes_reduced_ += count * sizeof(float);
  }

  double wait_enqueued() override {
    wait("ncclAllReduce (enqueued gradient buckets)");
    double seconds = 0;
    for (size_t i = 0; i < timed_; ++i) {
      float ms = 0;
      XFER_CUDA(cudaEventElapsedTime(&ms, timing_[i].start, timing_[i].stop));
      seconds += ms / 1e3;
    }
    timed_ = 0;
    return seconds;
  }

  void allreduce_host_sum(double* data, size_t count) override {
    if (world_) world_->allreduce_sum(data, count, MPI_DOUBLE, sizeof(double));
  }

  // Device buffers go over NCCL, host buffers over MPI (a single rank has
  // nothing to send).
  void broadcast(void* data, size_t bytes, int root) override {
    if (bytes == 0) return;
    cudaPointerAttributes attr{};
    XFER_CUDA(cudaPointerGetAttributes(&attr, data));
    if (attr.type == cudaMemoryTypeDevice) {
      XFER_CUDA(cudaSetDevice(device_));
      XFER_CUDA(cudaDeviceSynchronize());  // rare (start-up): no need to be subtle
      XFER_NCCL(ncclBroadcast(data, data, bytes, ncclChar, root, comm_, stream_));
      wait("ncclBroadcast");
      return;
    }
    if (world_) world_->broadcast(data, bytes, root);
  }

  void barrier() override {
    if (world_) XFER_MPI(MPI_Barrier(MPI_COMM_WORLD));
  }

  [[noreturn]] void abort(int code) override {
    if (comm_) ncclCommAbort(comm_);
    comm_ = nullptr;
    if (world_) MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  // One GPU per rank: the node-local rank's, or device 0 where the launcher
  // already gave each rank a single visible GPU.
  void select_device() {
    int devices = 0;
    XFER_CUDA(cudaGetDeviceCount(&devices));
    XFER_CHECK(devices == 1 || local_rank_ < devices,
               "node-local rank " << local_rank_ << " has no GPU of its own: " << devices
                                  << " visible for " << local_size_
                                  << " ranks on this node (start one rank per GPU)");
    device_ = devices == 1 ? 0 : local_rank_;
    XFER_CUDA(cudaSetDevice(device_));
  }

  // A pair of events around one enqueued sum (the pairs are reused every step).
  struct Timing {
    cudaEvent_t start = nullptr, stop = nullptr;
  };
  static Timing make_timing() {
    Timing t;
    XFER_CUDA(cudaEventCreate(&t.start));
    XFER_CUDA(cudaEventCreate(&t.stop));
    return t;
  }

  // Waits for everything on stream_, polling NCCL's asynchronous error; on
  // an error or after timeout_s_ the communicator is aborted and the
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
      if (!status::ok(async)) {
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

  std::unique_ptr<MpiWorld> world_;  // first member: MPI is up before NCCL and down after it
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  int device_ = 0;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t produced_ = nullptr;
  std::vector<Timing> timing_;  // timing_[0, timed_) belong to sums not yet waited for
  size_t timed_ = 0;
  double timeout_s_ = 600;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(int* argc, char*** argv) {
  // MPI only where a launcher started us (or XFER_COMM=mpi asks for it).
  const char* forced = std::getenv("XFER_COMM");
  const bool mpi = forced ? std::strcmp(forced, "mpi") == 0 : launched_by_mpi();
  return std::make_unique<NcclCommunicator>(mpi ? std::make_unique<MpiWorld>(argc, argv)
                                                : nullptr);
}

}  // namespace xfer
