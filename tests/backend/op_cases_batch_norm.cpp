// op_cases_batch_norm.cpp: the op cases of batch normalisation: every pass on
// each backend against the CPU, and the CPU against a direct float64
// implementation of the definition in backend.h (PyTorch's BatchNorm2d:
// biased batch variance in the output, unbiased in the running estimate).
#include <gtest/gtest.h>

#include <cmath>
#include <utility>

#include "gpu_test_util.h"
#include "op_cases.h"

namespace xfer::testing {

namespace {

// Odd sizes; a mean far from 0 and a spread far from 1 in every channel.
constexpr BatchNormDesc kBn{.n = 3, .c = 5, .h = 4, .w = 7};
constexpr size_t kCount = size_t(kBn.n) * kBn.c * kBn.h * kBn.w;

std::vector<float> bn_input() {
  std::vector<float> x = random_vector(kCount, 91, 2.f);
  const size_t hw = size_t(kBn.h) * kBn.w;
  for (size_t i = 0; i < kCount; ++i) x[i] += float((i / hw) % kBn.c) - 1.5f;
  return x;
}

// Channel c's batch mean and biased variance, in float64.
std::pair<double, double> batch_statistics(const std::vector<float>& x, size_t c) {
  const size_t hw = size_t(kBn.h) * kBn.w, m = kBn.n * hw;
  double mean = 0, var = 0;
  for (size_t n = 0; n < size_t(kBn.n); ++n)
    for (size_t p = 0; p < hw; ++p) mean += x[(n * kBn.c + c) * hw + p];
  mean /= double(m);
  for (size_t n = 0; n < size_t(kBn.n); ++n)
    for (size_t p = 0; p < hw; ++p) {
      const double d = x[(n * kBn.c + c) * hw + p] - mean;
      var += d * d;
    }
  return {mean, var / double(m)};
}

// The batch pass from its definition in float64, with the ReLU after it where
// `relu`: y, and dx, dscale, dshift of the gradient dy of y. Ioffe and
// Szegedy's backward, with the batch statistics' own gradients.
struct BatchPass {
  std::vector<float> y, dx, dscale, dshift;
  size_t cut = 0;  // outputs the ReLU set to 0
};
BatchPass batch_pass_definition(const std::vector<float>& x, const std::vector<float>& dy,
                                const std::vector<float>& scale, const std::vector<float>& shift, bool relu) {
  const size_t hw = size_t(kBn.h) * kBn.w, m = kBn.n * hw;
  auto at = [&](size_t n, size_t c, size_t p) { return (n * kBn.c + c) * hw + p; };
  BatchPass r{std::vector<float>(kCount), std::vector<float>(kCount), std::vector<float>(kBn.c),
              std::vector<float>(kBn.c)};
  std::vector<double> g(kCount);
  for (size_t c = 0; c < size_t(kBn.c); ++c) {
    const auto [mean, var] = batch_statistics(x, c);
    const double inv = 1 / std::sqrt(var + kBn.eps);
    double sum_g = 0, sum_gx = 0;
    for (size_t n = 0; n < size_t(kBn.n); ++n)
      for (size_t p = 0; p < hw; ++p) {
        const size_t i = at(n, c, p);
        const double xhat = (x[i] - mean) * inv, v = xhat * scale[c] + shift[c];
        const bool passes = !relu || v > 0;
        r.y[i] = float(passes ? v : 0);
        r.cut += !passes;
        g[i] = passes ? dy[i] : 0;
        sum_g += g[i];
        sum_gx += g[i] * xhat;
      }
    r.dshift[c] = float(sum_g);
    r.dscale[c] = float(sum_gx);
    for (size_t n = 0; n < size_t(kBn.n); ++n)
      for (size_t p = 0; p < hw; ++p) {
        const size_t i = at(n, c, p);
        const double xhat = (x[i] - mean) * inv;
        r.dx[i] = float(scale[c] * inv * (g[i] - sum_g / m - xhat * sum_gx / m));
      }
  }
  return r;
}

// Each pass from the same inputs, in the order a training step and a test run them.
Outputs run_batch_norm(Backend& be) {
  auto op = be.make_batch_norm(kBn);
  const size_t c = kBn.c;
  Buf x(be, bn_input()), dy(be, random_vector(kCount, 92)), y(be, kCount), dx(be, kCount);
  Buf scale(be, random_vector(c, 93)), shift(be, random_vector(c, 94));
  Buf mean(be, random_vector(c, 95, 0.1f)), var(be, std::vector<float>(c, 1.3f));
  Buf dscale(be, c), dshift(be, c);
  Outputs out;
  op->forward_batch(x.data(), scale.data(), shift.data(), mean.data(), var.data(), y.data(), true);
  out.push_back({"batch forward", y.get(), kFp32});
  out.push_back({"running mean", mean.get(), kFp32});
  out.push_back({"running variance", var.get(), kFp32});
  op->backward_batch(x.data(), dy.data(), scale.data(), dx.data(), dscale.data(), dshift.data());
  out.push_back({"batch dx", dx.get(), kFp32});
  out.push_back({"batch dscale", dscale.get(), kFp32});
  out.push_back({"batch dshift", dshift.get(), kFp32});
  op->forward_global(x.data(), scale.data(), shift.data(), mean.data(), var.data(), y.data());
  out.push_back({"global forward", y.get(), kFp32});
  op->backward_global(x.data(), dy.data(), scale.data(), mean.data(), var.data(), dx.data(), dscale.data(),
                      dshift.data());
  out.push_back({"global dx", dx.get(), kFp32});
  out.push_back({"global dscale", dscale.get(), kFp32});
  out.push_back({"global dshift", dshift.get(), kFp32});
  // Frozen: no parameter gradients asked for, and the running statistics
  // untouched by a batch forward that does not update them.
  const std::vector<float> before = mean.get();
  op->forward_batch(x.data(), scale.data(), shift.data(), mean.data(), var.data(), y.data(), false);
  EXPECT_EQ(mean.get(), before) << "a forward without update moved the running mean";
  op->backward_global(x.data(), dy.data(), scale.data(), mean.data(), var.data(), dx.data(), nullptr, nullptr);
  out.push_back({"global dx alone", dx.get(), kFp32});
  return out;
}

// The same passes written from the definition, in float64.
void batch_norm_definition(Backend& be) {
  const Outputs got = run_batch_norm(be);
  const std::vector<float> x = bn_input(), dy = random_vector(kCount, 92);
  const std::vector<float> scale = random_vector(kBn.c, 93), shift = random_vector(kBn.c, 94);
  std::vector<float> rmean = random_vector(kBn.c, 95, 0.1f), rvar(kBn.c, 1.3f);
  const size_t hw = size_t(kBn.h) * kBn.w, m = kBn.n * hw;
  auto at = [&](size_t n, size_t c, size_t p) { return (n * kBn.c + c) * hw + p; };
  const BatchPass batch = batch_pass_definition(x, dy, scale, shift, false);
  std::vector<float> gy(kCount), gdx(kCount), gdscale(kBn.c), gdshift(kBn.c);
  for (size_t c = 0; c < size_t(kBn.c); ++c) {
    const auto [mean, var] = batch_statistics(x, c);
    rmean[c] = float(0.9 * rmean[c] + 0.1 * mean);
    rvar[c] = float(0.9 * rvar[c] + 0.1 * var * m / (m - 1));
    const double ginv = 1 / std::sqrt(double(rvar[c]) + kBn.eps);
    double g_dy = 0, g_dy_xhat = 0;
    for (size_t n = 0; n < size_t(kBn.n); ++n)
      for (size_t p = 0; p < hw; ++p) {
        const size_t i = at(n, c, p);
        const double xhat = (x[i] - rmean[c]) * ginv;
        gy[i] = float(xhat * scale[c] + shift[c]);
        gdx[i] = float(dy[i] * scale[c] * ginv);
        g_dy += dy[i];
        g_dy_xhat += dy[i] * xhat;
      }
    gdshift[c] = float(g_dy);
    gdscale[c] = float(g_dy_xhat);
  }
  const std::vector<std::vector<float>> want{batch.y, rmean, rvar, batch.dx, batch.dscale, batch.dshift,
                                             gy, gdx, gdscale, gdshift, gdx};
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_TRUE(near_all(got[i].values, want[i], 1e-5f, 1e-6f)) << got[i].name;
}

// With the ReLU that follows it: fused into the op where it says so
// (fuses_relu), else applied by the backend around it, as the layer does.
constexpr BatchNormDesc kBnRelu{.n = 3, .c = 5, .h = 4, .w = 7, .relu = true};

Outputs run_batch_norm_relu(Backend& be) {
  auto op = be.make_batch_norm(kBnRelu);
  const size_t c = kBn.c;
  Buf x(be, bn_input()), dy(be, random_vector(kCount, 92)), y(be, kCount), dx(be, kCount);
  Buf scale(be, random_vector(c, 93)), shift(be, random_vector(c, 94));
  Buf mean(be, random_vector(c, 95, 0.1f)), var(be, std::vector<float>(c, 1.3f));
  Buf dscale(be, c), dshift(be, c);
  Outputs out;
  op->forward_batch(x.data(), scale.data(), shift.data(), mean.data(), var.data(), y.data(), true);
  if (!op->fuses_relu()) be.relu(y.data(), kCount);
  out.push_back({"batch forward with relu", y.get(), kFp32});
  if (!op->fuses_relu()) be.relu_backward(y.data(), dy.data(), kCount);
  op->backward_batch(x.data(), dy.data(), scale.data(), dx.data(), dscale.data(), dshift.data());
  out.push_back({"batch dx through relu", dx.get(), kFp32});
  out.push_back({"batch dscale through relu", dscale.get(), kFp32});
  out.push_back({"batch dshift through relu", dshift.get(), kFp32});
  return out;
}

// The ReLU after the batch's normalisation, and its mask on the gradient; a
// NaN in the input stays NaN in the output (never a ReLU's 0).
void batch_norm_relu_definition(Backend& be) {
  const Outputs got = run_batch_norm_relu(be);
  const std::vector<float> x = bn_input(), scale = random_vector(kBn.c, 93), shift = random_vector(kBn.c, 94);
  const BatchPass want_pass = batch_pass_definition(x, random_vector(kCount, 92), scale, shift, true);
  const size_t hw = size_t(kBn.h) * kBn.w;
  auto at = [&](size_t n, size_t c, size_t p) { return (n * kBn.c + c) * hw + p; };
  ASSERT_GT(want_pass.cut, kCount / 5) << "the case must cut a good part of the outputs";
  const std::vector<std::vector<float>> want{want_pass.y, want_pass.dx, want_pass.dscale, want_pass.dshift};
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_TRUE(near_all(got[i].values, want[i], 1e-5f, 1e-6f)) << got[i].name;

  auto op = be.make_batch_norm(kBnRelu);
  std::vector<float> bad = bn_input();
  bad[3] = NAN;  // channel 0 of the first image
  Buf xb(be, bad), yb(be, kCount), sb(be, scale), hb(be, shift), mb(be, kBn.c), vb(be, std::vector<float>(kBn.c, 1.f));
  op->forward_batch(xb.data(), sb.data(), hb.data(), mb.data(), vb.data(), yb.data(), false);
  if (!op->fuses_relu()) be.relu(yb.data(), kCount);
  const std::vector<float> yv = yb.get();
  for (size_t p = 0; p < hw; ++p) EXPECT_TRUE(std::isnan(yv[at(1, 0, p)])) << "a NaN in channel 0 became " << yv[at(1, 0, p)];
}

}  // namespace

std::vector<OpCase> batch_norm_cases() {
  return {{.name = "batch_norm_every_pass",
           .covers = {"Backend::make_batch_norm", "BatchNormOp::forward_batch", "BatchNormOp::forward_global",
                      "BatchNormOp::backward_batch", "BatchNormOp::backward_global"},
           .compare = run_batch_norm,
           .definition = batch_norm_definition},
          {.name = "batch_norm_with_relu",
           .covers = {"BatchNormOp::fuses_relu", "BatchNormOp::forward_batch", "BatchNormOp::backward_batch"},
           .compare = run_batch_norm_relu,
           .definition = batch_norm_relu_definition}};
}

}  // namespace xfer::testing
