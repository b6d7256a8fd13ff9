// step_compare.h: the one check that a training step on one backend agrees
// with the same step on another. It runs SGD steps from a fixed seed and
// compares each parameter tensor's gradient by its relative L2 error
// ||got - want|| / ||want||.
//
// Why gradients and L2, not weight changes element by element: a weight
// change is lr * gradient added to a weight of order 1 (biases start at 1),
// so its float difference is dominated by the last bit of the weight; and a
// ReLU or max-pool near-tie that flips under rounding moves a few elements a
// lot while the tensor as a whole barely changes. The L2 norm of a whole
// gradient weighs those few elements against everything else (a flip
// still moves the lowest layers by ~1%, which sets the tolerance). Used by the
// GPU test (CUDA against CPU) and by the CPU test that shows the check holds
// under rounding-sized input perturbations and fails under real bugs.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "core/rng.h"
#include "net/net.h"
#include "solver/sgd.h"

namespace xfer::testing {

// Relative L2 error allowed per parameter tensor. Measured on the CPU
// (small preset, batch 16, 70-100 trials per range): inputs nudged by a
// relative 1e-7..1e-6 give either ~6e-7 (rounding alone, 36 of 100) or,
// when one ReLU or max-pool near-tie flips, ~1.2e-2 in the lowest conv
// layers (max 1.4e-2); 1e-6..1e-5 at most 2.1e-2; 1e-5..1e-4 at most
// 2.6e-2; 1e-4..1e-3 at most 8.1e-2. An LRN alpha off by 5x gives 0.18,
// flipped conv2 kernels 1.3, a transposed fc7 weight 2.2. 5e-2 sits
// between: about twice the worst of perturbations up to 1e-4, well past
// fp32 GPU rounding, and under a third of the smallest bug.
constexpr double kGradientRelTol = 5e-2;

// A batch of gaussian images (std 20, like mean-subtracted pixels) and
// random labels, the same for every backend.
inline HostBatch make_batch(const NetSpec& spec, int n, int classes, uint64_t seed) {
  HostBatch b;
  b.n = n;
  b.c = spec.channels;
  b.h = b.w = spec.crop;
  Rng r(seed);
  b.images.resize(size_t(n) * b.c * b.h * b.w);
  for (auto& e : b.images) e = r.gaussian(0.f, 20.f);
  for (int i = 0; i < n; ++i) b.labels.push_back(int32_t(r.next_u64() % classes));
  return b;
}

// A named range of the flat parameter buffers ("fc7 weights").
struct ParamRange {
  std::string name;
  size_t offset = 0, count = 0;
};

struct StepRun {
  LossStats loss;                     // of the last step
  std::vector<float> before, after;   // parameters before the first, after the last step
  std::vector<float> grads;           // gradients of the last step
  std::vector<ParamRange> ranges;     // weights and bias of every parameter layer
};

// Hooks to change a run: `batch` edits each batch before it is used (input
// perturbations), `net` edits the initialised net (injected bugs).
struct StepEdits {
  std::function<void(HostBatch&)> batch;
  std::function<void(Net&)> net;
};

// `steps` SGD steps of `spec` from init seed 2024 on batches seeded 100 + s.
inline StepRun run_steps(Backend& be, const NetSpec& spec, int batch, int outputs, int frozen,
                         int steps, const StepEdits& edits = {}) {
  Net net(be, spec, batch, outputs);
  net.init_params(2024);
  net.set_frozen(frozen);
  SgdSolver solver(net, spec.solver);
  StepRun r;
  r.before = net.params().to_host();
  if (edits.net) edits.net(net);
  for (int s = 0; s < steps; ++s) {
    HostBatch b = make_batch(spec, batch, outputs, 100 + uint64_t(s));
    if (edits.batch) edits.batch(b);
    r.loss = net.forward(b, PassContext{true, 99, uint64_t(s)});
    net.backward(1.f / float(batch));
    if (s + 1 == steps) r.grads = net.grads().to_host();
    solver.update(s);
  }
  r.after = net.params().to_host();
  for (const auto& p : net.slots()) {
    r.ranges.push_back({p.layer->name() + " weights", p.offset, p.weight_count});
    r.ranges.push_back({p.layer->name() + " bias", p.offset + p.weight_count, p.bias_count});
  }
  return r;
}

// ||got - want|| / ||want|| over n elements, in double; 0 when both are zero,
// infinite when only `want` is (or when anything is not finite).
inline double relative_l2(const float* got, const float* want, size_t n) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = double(got[i]) - double(want[i]);
    diff += d * d;
    norm += double(want[i]) * double(want[i]);
  }
  if (!std::isfinite(diff) || !std::isfinite(norm)) return std::numeric_limits<double>::infinity();
  if (norm == 0) return diff == 0 ? 0 : std::numeric_limits<double>::infinity();
  return std::sqrt(diff / norm);
}

// The largest relative L2 error of any parameter tensor's gradient, and its name.
struct GradientError {
  double worst = 0;
  std::string where;
};

inline GradientError gradient_error(const StepRun& got, const StepRun& want) {
  GradientError e;
  for (const auto& r : want.ranges) {
    const double rel =
        relative_l2(got.grads.data() + r.offset, want.grads.data() + r.offset, r.count);
    if (!(rel <= e.worst)) {  // also takes NaN
      e.worst = rel;
      e.where = r.name;
    }
  }
  return e;
}

// Passes when every parameter tensor's gradient is within `rtol` relative L2
// error; the failure names each tensor that is not.
inline ::testing::AssertionResult same_gradients(const StepRun& got, const StepRun& want,
                                                 double rtol = kGradientRelTol) {
  if (got.grads.size() != want.grads.size())
    return ::testing::AssertionFailure()
           << "gradient sizes " << got.grads.size() << " vs " << want.grads.size();
  std::ostringstream bad;
  for (const auto& r : want.ranges) {
    const double rel =
        relative_l2(got.grads.data() + r.offset, want.grads.data() + r.offset, r.count);
    if (!(rel <= rtol)) bad << "\n  " << r.name << ": relative L2 error " << rel;
  }
  if (bad.str().empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "gradients differ beyond " << rtol << ":" << bad.str();
}

}  // namespace xfer::testing
