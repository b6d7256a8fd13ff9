// test_nccl_communicator.cpp: the NCCL communicator on however many ranks
// started it (one under plain ctest, without MPI; `mpirun -np N` with N GPUs
// for more): device allreduce, device and host broadcast, host sums,
// barrier, the byte count; a sum enqueued behind the backend's stream with
// no host wait; and GradientSync over it for a real net. Skipped, with a
// message, without a GPU.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <vector>

#include "backend/backend.h"
#include "comm/nccl_communicator.h"
#include "backend/gpu_test_util.h"
#include "backend/step_compare.h"
#include "train/gradient_sync.h"

namespace xfer {
namespace {

TEST(NcclCommunicator, CollectivesOnDeviceAndHostBuffers) {
  XFER_REQUIRE_GPU();
  auto comm = make_nccl_communicator(nullptr, nullptr);
  const int rank = comm->rank(), size = comm->size();
  EXPECT_EQ(comm->name(), "nccl");
  EXPECT_GE(comm->local_size(), 1);
  EXPECT_LT(comm->local_rank(), comm->local_size());

  // Device allreduce: rank r contributes (r + 1) * (i % 7).
  const size_t n = (size_t(1) << 20) + 3;
  std::vector<float> host(n);
  for (size_t i = 0; i < n; ++i) host[i] = float(rank + 1) * float(i % 7);
  float* dev = nullptr;
  ASSERT_EQ(cudaMalloc(&dev, n * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(dev, host.data(), n * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
  // From pageable memory cudaMemcpy may return before the DMA lands, and
  // NCCL's stream does not wait for the default stream.
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  comm->allreduce_sum(dev, n);
  ASSERT_EQ(cudaMemcpy(host.data(), dev, n * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
  const float ranks_sum = float(size) * float(size + 1) / 2.f;
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(host[i], ranks_sum * float(i % 7)) << "element " << i;
  EXPECT_EQ(comm->bytes_reduced(), n * sizeof(float));

  // Device broadcast from the last rank.
  const int root = size - 1;
  std::vector<float> mine(n, float(rank));
  ASSERT_EQ(cudaMemcpy(dev, mine.data(), n * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  comm->broadcast(dev, n * sizeof(float), root);
  ASSERT_EQ(cudaMemcpy(mine.data(), dev, n * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(mine, std::vector<float>(n, float(root)));
  cudaFree(dev);

  // Host broadcast and sums over MPI.
  int value = rank == root ? 4242 : -1;
  comm->broadcast(&value, sizeof(value), root);
  EXPECT_EQ(value, 4242);
  double stats[2] = {1.0, double(rank)};
  comm->allreduce_host_sum(stats, 2);
  EXPECT_EQ(stats[0], double(size));
  EXPECT_EQ(stats[1], double(size) * (size - 1) / 2);
  comm->barrier();
  EXPECT_EQ(comm->bytes_reduced(), n * sizeof(float)) << "host sums are not gradient bytes";
}

// The sum waits on the device for the upload queued on the backend's stream;
// the host never synchronises before wait_enqueued.
TEST(NcclCommunicator, EnqueuedSumFollowsTheProducerStream) {
  XFER_REQUIRE_GPU();
  auto be = make_backend("cuda", 0);
  auto comm = make_nccl_communicator(nullptr, nullptr);
  ASSERT_TRUE(comm->enqueues_on_device());
  const size_t n = (size_t(1) << 22) + 5;
  std::vector<float> host(n);
  for (size_t i = 0; i < n; ++i) host[i] = float(i % 11);
  testing::Buf buf(*be, n);
  for (int round = 0; round < 3; ++round) {
    buf.set(host);  // queued on the backend's streams
    comm->enqueue_allreduce_sum(buf.data(), n / 2, be->native_stream());
    comm->enqueue_allreduce_sum(buf.data() + n / 2, n - n / 2, be->native_stream());
    EXPECT_GT(comm->wait_enqueued(), 0.0) << "the sums' device time";
    const std::vector<float> got = buf.get();
    for (size_t i = 0; i < n; ++i)
      ASSERT_EQ(got[i], float(comm->size()) * float(i % 11)) << "round " << round << ", " << i;
  }
}

// GradientSync over NCCL for the small net on the GPU: every trainable
// gradient is sent, and a sum over ranks that all computed the same
// gradients is size times each.
TEST(NcclCommunicator, GradientSyncSumsEveryTrainableGradient) {
  XFER_REQUIRE_GPU();
  auto be = make_backend("cuda", 0);
  auto comm = make_nccl_communicator(nullptr, nullptr);
  const NetSpec spec = net_preset("small");
  Net net(*be, spec, 16, 10);
  net.init_params(5);
  net.set_frozen(2);
  const HostBatch b = testing::make_batch(spec, 16, 10, 3);
  net.forward(b, PassContext{true, 1, 0});
  net.backward(1.f / 16);
  const std::vector<float> alone = net.grads().to_host();
  net.forward(b, PassContext{true, 1, 0});
  {
    GradientSync sync(*comm, net, 64 << 10);  // several buckets
    net.backward(1.f / 16);
    sync.finish_step();
    EXPECT_EQ(sync.stats().bytes, net.trainable_count() * sizeof(float));
    EXPECT_GT(sync.stats().comm_s, 0.0) << "device time of the sums";
  }
  const std::vector<float> summed = net.grads().to_host();
  for (size_t i = 0; i < net.trainable_count(); ++i)
    ASSERT_FLOAT_EQ(summed[i], alone[i] * float(comm->size())) << "element " << i;
}

}  // namespace
}  // namespace xfer
