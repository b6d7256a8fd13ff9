// test_step_compare.cpp: evidence, on the CPU alone, that the check the GPU
// training test uses (step_compare.h: per-tensor relative L2 error of the
// gradients) is right for the job. A correct GPU differs from the CPU by
// rounding; here the CPU is compared with itself on inputs nudged by
// rounding-sized amounts (relative 1e-7..1e-5: from a few ulps to what fp32
// GPU kernels summing in another order differ by), which flips ReLU and
// max-pool near-ties just as rounding would, and the check must pass every
// time. Then real bugs are injected (a transposed fully connected weight, a
// convolution that flips its kernels, a wrong LRN alpha) and it must fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "backend/backend.h"
#include "step_compare.h"

namespace xfer {
namespace {

using testing::gradient_error;
using testing::run_steps;
using testing::same_gradients;
using testing::StepEdits;
using testing::StepRun;

constexpr int kBatch = 16, kClasses = 10;

StepRun cpu_step(Backend& be, const NetSpec& spec, const StepEdits& edits = {}) {
  return run_steps(be, spec, kBatch, kClasses, 0, 1, edits);
}

// Multiplies every input element by 1 + u * eps, u uniform in [-1, 1).
StepEdits nudge_inputs(uint64_t seed, double eps) {
  return StepEdits{[seed, eps](HostBatch& b) {
                     Rng r(seed);
                     for (auto& x : b.images) x *= float(1.0 + (2 * r.uniform() - 1) * eps);
                   },
                   {}};
}

// Rewrites one parameter layer's weights on the host.
StepEdits edit_weights(const std::string& layer,
                       std::function<void(std::vector<float>&, const LayerSpec&, const Net&)> f) {
  return StepEdits{{}, [layer, f](Net& net) {
                     const ParamSlot& p = net.slot(layer);
                     std::vector<float> all = net.params().to_host();
                     std::vector<float> w(all.begin() + long(p.offset),
                                          all.begin() + long(p.offset + p.weight_count));
                     f(w, p.layer->spec(), net);
                     std::copy(w.begin(), w.end(), all.begin() + long(p.offset));
                     net.params().from_host(all);
                   }};
}

// The small net's step on the CPU, the reference every test compares with.
class StepCompare : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> be_ = make_backend("cpu", 0, 2);
  const NetSpec spec_ = net_preset("small");
  const StepRun ref_ = cpu_step(*be_, spec_);

  // The check must tell `bad` (the bug `what`) from the reference; prints by
  // how much it missed.
  void expect_caught(const StepRun& bad, const std::string& what) const {
    const auto e = gradient_error(bad, ref_);
    std::printf("%s: worst relative L2 error %.3g (%s)\n", what.c_str(), e.worst, e.where.c_str());
    EXPECT_FALSE(same_gradients(bad, ref_)) << what << ": worst " << e.worst << " at " << e.where;
  }
};

TEST_F(StepCompare, PassesUnderRoundingSizedInputPerturbations) {
  const auto start = std::chrono::steady_clock::now();
  double worst = 0;
  int trials = 0;
  // As many trials as fit in a few seconds, at least 20, at most 100.
  for (; trials < 100; ++trials) {
    if (trials >= 20 && std::chrono::steady_clock::now() - start > std::chrono::seconds(10)) break;
    const double eps = 1e-7 * std::pow(10.0, trials % 21 / 10.0);  // 1e-7 .. 1e-5
    const StepRun got = cpu_step(*be_, spec_, nudge_inputs(7000 + uint64_t(trials), eps));
    ASSERT_TRUE(same_gradients(got, ref_)) << "trial " << trials << ", eps " << eps;
    worst = std::max(worst, gradient_error(got, ref_).worst);
  }
  std::printf("%d of %d perturbed steps within %g; worst relative L2 error %.3g\n", trials,
              trials, testing::kGradientRelTol, worst);
  EXPECT_GE(trials, 20);
}

TEST_F(StepCompare, FailsOnATransposedFullyConnectedWeight) {
  // fc7 is square (256 x 256): a GEMM that reads its weight transposed.
  expect_caught(cpu_step(*be_, spec_, edit_weights("fc7", [](auto& w, auto&, auto&) {
                           const size_t n = size_t(std::lround(std::sqrt(double(w.size()))));
                           ASSERT_EQ(n * n, w.size());
                           for (size_t i = 0; i < n; ++i)
                             for (size_t j = i + 1; j < n; ++j) std::swap(w[i * n + j], w[j * n + i]);
                         })),
                "transposed fc7 weight");
}

TEST_F(StepCompare, FailsOnAConvolutionThatFlipsItsKernels) {
  // Convolution instead of cross-correlation (CUDNN_CONVOLUTION): each
  // kernel rotated by 180 degrees.
  expect_caught(cpu_step(*be_, spec_, edit_weights("conv2", [](auto& w, auto& l, auto&) {
                           const size_t k2 = size_t(l.kernel) * size_t(l.kernel);
                           for (size_t f = 0; f < w.size(); f += k2)
                             std::reverse(w.begin() + long(f), w.begin() + long(f + k2));
                         })),
                "flipped conv2 kernels");
}

TEST_F(StepCompare, FailsOnAWrongLrnAlpha) {
  for (const float factor : {5.f, 10.f}) {
    // Caffe divides alpha by the window size; forgetting to (or dividing
    // twice) is the usual slip between LRN conventions.
    NetSpec wrong = spec_;
    for (auto& l : wrong.layers)
      if (l.type == LayerType::Lrn) l.lrn_alpha *= factor;
    char what[32];
    std::snprintf(what, sizeof what, "LRN alpha x%g", factor);
    expect_caught(cpu_step(*be_, wrong), what);
  }
}

}  // namespace
}  // namespace xfer
