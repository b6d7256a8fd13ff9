// test_cuda_kernels.cpp: our own kernels checked directly against their host
// definitions: the dropout hash bit for bit against core/rng.h, and the
// uint8 crop + mirror + mean transform against the loader's CPU loop.
// Skipped, with a message, without a GPU.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <cstring>

#include "backend/cuda/cuda_kernels.h"
#include "gpu_test_util.h"

namespace xfer {
namespace {

template <class T>
T* device_copy(const std::vector<T>& v) {
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, std::max<size_t>(v.size(), 1) * sizeof(T)), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
  return static_cast<T*>(p);
}

template <class T>
std::vector<T> host_copy(const T* p, size_t n) {
  std::vector<T> v(n);
  EXPECT_EQ(cudaMemcpy(v.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
  return v;
}

TEST(CudaKernels, HashUniformIsBitIdenticalToHost) {
  XFER_REQUIRE_GPU();
  const size_t n = (size_t(1) << 20) + 17;
  float* d = nullptr;
  ASSERT_EQ(cudaMalloc(&d, n * sizeof(float)), cudaSuccess);
  const uint64_t seeds[][2] = {{0, 0}, {1, 2}, {0xdeadbeefcafef00dULL, 0x9e3779b97f4a7c15ULL},
                               {~0ULL, 12345}};
  for (const auto& s : seeds) {
    cuda::hash_uniform_fill(s[0], s[1], d, n, nullptr);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    auto got = host_copy(d, n);
    std::vector<float> want(n);
    for (size_t i = 0; i < n; ++i) want[i] = hash_uniform(s[0], s[1], i);
    EXPECT_EQ(0, std::memcmp(got.data(), want.data(), n * sizeof(float)))
        << "seed " << s[0] << " stream " << s[1];
  }
  cudaFree(d);
}

TEST(CudaKernels, CropMirrorMeanMatchesHostTransform) {
  XFER_REQUIRE_GPU();
  const int n = 3, c = 3, h = 17, w = 19, ch = 11, cw = 13;
  std::vector<uint8_t> raw(size_t(n) * c * h * w);
  Rng r(81);
  for (auto& b : raw) b = uint8_t(r.next_u64() & 255);
  std::vector<float> mean = testing::random_vector(size_t(c) * h * w, 82, 40.f);
  std::vector<cuda::CropItem> items{{0, 0, 0}, {6, 6, 1}, {3, 2, 1}};
  // The loader's CPU transform (data/shard_source.cpp), written out.
  std::vector<float> want(size_t(n) * c * ch * cw);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < c; ++k)
      for (int y = 0; y < ch; ++y)
        for (int x = 0; x < cw; ++x) {
          const size_t off = (size_t(k) * h + items[i].y0 + y) * w + items[i].x0 + x;
          const int xo = items[i].mirror ? cw - 1 - x : x;
          want[((size_t(i) * c + k) * ch + y) * cw + xo] =
              float(raw[size_t(i) * c * h * w + off]) - mean[off];
        }
  auto* draw = device_copy(raw);
  auto* dmean = device_copy(mean);
  auto* ditems = device_copy(items);
  float* dout = nullptr;
  ASSERT_EQ(cudaMalloc(&dout, want.size() * sizeof(float)), cudaSuccess);
  cuda::crop_mirror_mean(draw, dmean, ditems, n, c, h, w, ch, cw, dout, nullptr);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_TRUE(testing::near_all(host_copy(dout, want.size()), want, 0.f));
  cudaFree(draw);
  cudaFree(dmean);
  cudaFree(ditems);
  cudaFree(dout);
}

}  // namespace
}  // namespace xfer
