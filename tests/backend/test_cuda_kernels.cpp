// test_cuda_kernels.cpp: our own kernels against their host definitions:
// the dropout hash bit for bit against core/rng.h, and the GPU data
// transform (uint8 crop + mirror + mean) against the loader's CPU loop.
// Skipped, with a message, without a GPU.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <cstring>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_kernels.h"
#include "core/check.h"
#include "gpu_test_util.h"

namespace xfer {
namespace {

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
  const std::vector<GpuCrop> crops{{0, 0, false}, {6, 6, true}, {3, 2, true}};
  // The loader's CPU transform (data/shard_source.cpp), written out.
  std::vector<float> want(size_t(n) * c * ch * cw);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < c; ++k)
      for (int y = 0; y < ch; ++y)
        for (int x = 0; x < cw; ++x) {
          const size_t off = (size_t(k) * h + crops[i].y0 + y) * w + crops[i].x0 + x;
          const int xo = crops[i].mirror ? cw - 1 - x : x;
          want[((size_t(i) * c + k) * ch + y) * cw + xo] =
              float(raw[size_t(i) * c * h * w + off]) - mean[off];
        }
  // Through the backend, as a loader would use it: raw bytes up, floats out.
  auto be = make_backend("cuda", 0);
  void* draw = be->alloc(raw.size());
  be->upload(draw, raw.data(), raw.size());
  testing::Buf dmean(*be, mean), out(*be, want.size());
  cuda_transform_batch(*be, static_cast<const uint8_t*>(draw), dmean.data(), crops, c, h, w, ch,
                       cw, out.data());
  EXPECT_TRUE(testing::near_all(out.get(), want, 0.f));
  EXPECT_THROW(cuda_transform_batch(*be, static_cast<const uint8_t*>(draw), dmean.data(),
                                    {{7, 0, false}}, c, h, w, ch, cw, out.data()),
               Error)
      << "a crop that leaves the image";
  be->release(draw);
}

}  // namespace
}  // namespace xfer
