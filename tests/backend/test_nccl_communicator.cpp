// test_nccl_communicator.cpp: the NCCL communicator on however many ranks
// started it (one under plain ctest; `mpirun -np N` with N GPUs for more):
// device allreduce, device and host broadcast, host sums, barrier, the
// byte count. Skipped, with a message, without a GPU.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <vector>

#include "backend/backend.h"
#include "comm/nccl_communicator.h"
#include "gpu_test_util.h"

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
  comm->allreduce_sum(dev, n);
  ASSERT_EQ(cudaMemcpy(host.data(), dev, n * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
  const float ranks_sum = float(size) * float(size + 1) / 2.f;
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(host[i], ranks_sum * float(i % 7)) << "element " << i;
  EXPECT_EQ(comm->bytes_reduced(), n * sizeof(float));

  // Device broadcast from the last rank.
  const int root = size - 1;
  std::vector<float> mine(n, float(rank));
  ASSERT_EQ(cudaMemcpy(dev, mine.data(), n * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
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

}  // namespace
}  // namespace xfer
