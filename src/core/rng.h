// rng.h: random numbers that are reproducible from their seeds alone. Two
// kinds: a sequential generator (xoshiro256**) for weight initialisation,
// reseeded per layer from the run seed (a checkpoint stores the seeds, never
// the generator's state), and a counter-based hash for per-element draws
// (dropout masks, crops) that any backend computes identically from
// (seed, stream, index) with no state to carry: the CUDA kernels compile
// these same lines for the device.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/host_device.h"

namespace xfer {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed);
  uint64_t next_u64();
  double uniform();                       // [0, 1)
  float gaussian(float mean, float std);  // Box-Muller

 private:
  std::array<uint64_t, 4> s_{};
};

// SplitMix64 finaliser: a bijective 64-bit mixer.
XFER_HOST_DEVICE inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A uniform float in [0, 1) from (seed, stream, index), the same on every
// backend: a 24-bit integer times 2^-24 is exact in float, so no rounding
// mode or contraction can change it.
XFER_HOST_DEVICE inline float hash_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t h = mix64(seed ^ mix64(stream ^ mix64(index)));
  return static_cast<float>(h >> 40) * (1.0f / 16777216.0f);
}

// Derives an independent seed for a named purpose and rank from a run seed.
inline uint64_t derive_seed(uint64_t run_seed, uint64_t purpose, uint64_t rank = 0) {
  return mix64(mix64(run_seed ^ (purpose * 0x632be59bd9b4e019ULL)) ^ rank);
}

// FNV-1a: a stable hash of a name (unlike std::hash, the same in every build).
inline uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// fnv1a() as 16 hex digits: how identities (of a run, of a data folder) are
// written.
std::string fnv1a_hex(std::string_view s);

}  // namespace xfer
