// test_cpu_ops.cpp: the CPU ops against direct implementations of the
// paper's definitions (Caffe's LRN formula, ceil pooling sizes, grouped
// convolution, Caffe's SGD rule).
#include <gtest/gtest.h>

#include <cmath>

#include "backend/backend.h"
#include "backend/tensor.h"
#include "core/rng.h"

namespace xfer {
namespace {

std::vector<float> randn(size_t n, uint64_t seed, float std = 1.f) {
  Rng r(seed);
  std::vector<float> v(n);
  for (auto& e : v) e = r.gaussian(0.f, std);
  return v;
}

TEST(CpuOps, LrnMatchesCaffeFormula) {
  auto be = make_backend("cpu", 0, 1);
  LrnDesc d;
  d.n = 2;
  d.c = 9;
  d.h = 3;
  d.w = 2;
  d.alpha = 0.3f;  // exaggerated so alpha/size vs alpha would differ clearly
  auto op = be->make_lrn(d);
  const size_t hw = d.h * d.w, count = size_t(d.n) * d.c * hw;
  auto x = randn(count, 1);
  std::vector<float> y(count);
  op->forward(x.data(), y.data(), false);
  for (int n = 0; n < d.n; ++n)
    for (int c = 0; c < d.c; ++c)
      for (size_t p = 0; p < hw; ++p) {
        double sum = 0;
        for (int j = c - d.size / 2; j <= c + d.size / 2; ++j)
          if (j >= 0 && j < d.c) {
            double v = x[(size_t(n) * d.c + j) * hw + p];
            sum += v * v;
          }
        size_t i = (size_t(n) * d.c + c) * hw + p;
        double want = x[i] / std::pow(d.k + d.alpha / d.size * sum, d.beta);
        EXPECT_NEAR(y[i], want, 1e-5) << "n " << n << " c " << c << " p " << p;
      }
}

TEST(CpuOps, PoolOutputSizesUseCeilRounding) {
  PoolDesc p;
  p.kernel = 3;
  p.stride = 2;
  for (auto [in, out] : std::vector<std::pair<int, int>>{{55, 27}, {27, 13}, {13, 6}, {24, 12},
                                                         {12, 6}, {6, 3}, {8, 4}, {7, 3}}) {
    p.h = p.w = in;
    EXPECT_EQ(p.out_h(), out) << "input " << in;
  }
}

TEST(CpuOps, GroupedConvMatchesDirectSum) {
  auto be = make_backend("cpu", 0, 1);
  ConvDesc d;
  d.n = 2;
  d.c = 4;
  d.h = d.w = 6;
  d.out_c = 6;
  d.kernel = 3;
  d.stride = 2;
  d.pad = 1;
  d.groups = 2;
  auto op = be->make_conv(d);
  const int oh = d.out_h(), ow = d.out_w(), cg = d.c / d.groups, og = d.out_c / d.groups;
  auto x = randn(size_t(d.n) * d.c * d.h * d.w, 2);
  auto w = randn(size_t(d.out_c) * cg * d.kernel * d.kernel, 3);
  auto b = randn(d.out_c, 4);
  std::vector<float> y(size_t(d.n) * d.out_c * oh * ow);
  op->forward(x.data(), w.data(), b.data(), y.data());
  for (int n = 0; n < d.n; ++n)
    for (int o = 0; o < d.out_c; ++o)
      for (int i = 0; i < oh; ++i)
        for (int j = 0; j < ow; ++j) {
          const int g = o / og;
          double s = b[o];
          for (int c = 0; c < cg; ++c)
            for (int ki = 0; ki < d.kernel; ++ki)
              for (int kj = 0; kj < d.kernel; ++kj) {
                int yi = i * d.stride - d.pad + ki, xj = j * d.stride - d.pad + kj;
                if (yi < 0 || yi >= d.h || xj < 0 || xj >= d.w) continue;
                s += double(x[((size_t(n) * d.c + g * cg + c) * d.h + yi) * d.w + xj]) *
                     w[((size_t(o) * cg + c) * d.kernel + ki) * d.kernel + kj];
              }
          EXPECT_NEAR(y[((size_t(n) * d.out_c + o) * oh + i) * ow + j], s, 1e-4);
        }
}

TEST(CpuOps, SgdUpdateIsCaffesRule) {
  auto be = make_backend("cpu", 0, 1);
  std::vector<float> w{1.f, -2.f, 0.5f}, g{0.1f, 0.2f, -0.3f}, v{0.01f, 0.f, -0.02f};
  auto w0 = w, v0 = v;
  const float lr = 0.1f, mom = 0.9f, decay = 0.01f;
  be->sgd_update(w.data(), g.data(), v.data(), w.size(), lr, mom, decay);
  for (size_t i = 0; i < w.size(); ++i) {
    float vi = mom * v0[i] + lr * (g[i] + decay * w0[i]);
    EXPECT_FLOAT_EQ(v[i], vi);
    EXPECT_FLOAT_EQ(w[i], w0[i] - vi);
  }
}

}  // namespace
}  // namespace xfer
