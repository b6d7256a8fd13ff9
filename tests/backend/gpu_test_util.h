// gpu_test_util.h: what the backend tests (the op harness and the CUDA
// tests) share: the skip when no GPU is usable, random inputs, copies to and from a backend, and a
// tolerance check that reports the worst element.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/rng.h"

// Skips the calling test, with the reason, where the CUDA backend cannot run.
#define XFER_REQUIRE_GPU()                                                                \
  do {                                                                                    \
    std::string why_;                                                                     \
    if (!::xfer::cuda_device_available(&why_))                                            \
      GTEST_SKIP() << "skipped: no usable CUDA device here (" << why_                     \
                   << "); the GPU tests need one";                                        \
  } while (0)

namespace xfer::testing {

inline std::vector<float> random_vector(size_t n, uint64_t seed, float std = 1.f) {
  Rng r(seed);
  std::vector<float> v(n);
  for (auto& e : v) e = r.gaussian(0.f, std);
  return v;
}

// A float buffer in a backend's memory, freed with it.
class Buf {
 public:
  Buf(Backend& be, size_t count) : be_(be), count_(count) {
    p_ = static_cast<float*>(be.alloc(std::max<size_t>(count, 1) * sizeof(float)));
    be.zero(p_, std::max<size_t>(count, 1) * sizeof(float));
  }
  Buf(Backend& be, const std::vector<float>& v) : Buf(be, v.size()) { set(v); }
  ~Buf() { be_.release(p_); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  float* data() { return p_; }
  size_t count() const { return count_; }
  void set(const std::vector<float>& v) { be_.upload(p_, v.data(), v.size() * sizeof(float)); }
  std::vector<float> get() const {
    std::vector<float> v(count_);
    be_.download(v.data(), p_, count_ * sizeof(float));
    return v;
  }

 private:
  Backend& be_;
  size_t count_;
  float* p_ = nullptr;
};

// |got - want| <= atol + rtol * max|want| for every element (the scale of
// the whole tensor, since sums of many terms carry absolute, not relative,
// rounding error).
inline ::testing::AssertionResult near_all(const std::vector<float>& got,
                                           const std::vector<float>& want, float rtol,
                                           float atol = 0.f) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "sizes " << got.size() << " vs " << want.size();
  float scale = 0.f;
  for (float w : want) scale = std::max(scale, std::fabs(w));
  const float tol = atol + rtol * scale;
  size_t worst = 0;
  float worst_err = -1.f;
  for (size_t i = 0; i < got.size(); ++i) {
    const float e = std::fabs(got[i] - want[i]);
    if (!(e <= worst_err)) {  // also catches NaN
      worst_err = e;
      worst = i;
    }
  }
  if (got.empty() || worst_err <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "element " << worst << " of " << got.size() << ": got " << got[worst] << ", want "
         << want[worst] << " (error " << worst_err << " > tolerance " << tol << ", scale "
         << scale << ")";
}

}  // namespace xfer::testing
