// cuda_rng.cuh: the counter-based hash of core/rng.h as device code. The
// arithmetic is the host's, operation for operation, so dropout masks are
// bit-identical on every backend (tests/backend checks it).
#pragma once

#include <cstdint>

namespace xfer::cuda {

__device__ __forceinline__ uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

__device__ __forceinline__ float hash_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  const uint64_t h = mix64(seed ^ mix64(stream ^ mix64(index)));
  // A 24-bit integer times 2^-24: exact in float, as on the host.
  return __fmul_rn(static_cast<float>(h >> 40), 1.0f / 16777216.0f);
}

}  // namespace xfer::cuda
