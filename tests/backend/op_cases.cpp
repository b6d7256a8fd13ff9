// op_cases.cpp: the op cases of convolution, inner product, pooling and LRN
// (forward and both backwards, compared with the CPU, and the CPU against
// Caffe's definitions: its LRN formula, ceil pooling sizes, grouped
// convolution), and the one list that assembles every family.
#include "op_cases.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "gpu_test_util.h"

namespace xfer::testing {

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> all = [] {
    std::vector<OpCase> v;
    for (auto family : {weighted_op_cases, pool_lrn_cases, batch_norm_cases, elementwise_cases, loss_cases,
                        memory_cases, gradient_cases})
      for (auto& c : family()) v.push_back(std::move(c));
    return v;
  }();
  return all;
}

namespace {

// (Functions, not namespace-scope constants: the list is made while the
// tests are registered, before other files' constants may be.)
std::vector<std::string> weighted_op_methods() {
  return {"WeightedOp::forward", "WeightedOp::backward_data", "WeightedOp::backward_weights"};
}

std::vector<std::string> with(std::vector<std::string> v, std::initializer_list<const char*> more) {
  v.insert(v.end(), more.begin(), more.end());
  return v;
}

// ---------------------------------------------------------------------------
// Convolution and fully connected: y, dx, dw and db on random inputs.

Outputs run_weighted(Backend& be, WeightedOp& op, size_t xn, size_t wn, size_t yn, size_t bn,
                     uint64_t seed, Tol tol) {
  Buf x(be, random_vector(xn, seed)), w(be, random_vector(wn, seed + 1, 0.1f));
  Buf b(be, random_vector(bn, seed + 2)), dy(be, random_vector(yn, seed + 3));
  Buf y(be, yn), dx(be, xn), dw(be, wn), db(be, bn);
  op.forward(x.data(), w.data(), b.data(), y.data());
  op.backward_data(dy.data(), w.data(), dx.data());
  op.backward_weights(x.data(), dy.data(), dw.data(), db.data());
  return {{"forward output", y.get(), tol},
          {"input gradient", dx.get(), tol},
          {"weight gradient", dw.get(), tol},
          {"bias gradient", db.get(), tol}};
}

size_t conv_weights(const ConvDesc& d) {
  return size_t(d.out_c) * (d.c / d.groups) * d.kernel * d.kernel;
}

Outputs run_conv(Backend& be, const ConvDesc& d, uint64_t seed, Tol tol) {
  return run_weighted(be, *be.make_conv(d), size_t(d.n) * d.c * d.h * d.w, conv_weights(d),
                      size_t(d.n) * d.out_c * d.out_h() * d.out_w(), size_t(d.out_c), seed, tol);
}

ConvDesc conv(int n, int c, int hw, int out, int k, int s, int p, int g, bool relu) {
  return {.n = n, .c = c, .h = hw, .w = hw, .out_c = out, .kernel = k, .stride = s, .pad = p,
          .groups = g, .relu = relu};
}

std::string conv_name(const ConvDesc& d) {
  return "n" + std::to_string(d.n) + "c" + std::to_string(d.c) + "h" + std::to_string(d.h) + "o" +
         std::to_string(d.out_c) + "k" + std::to_string(d.kernel) + "s" + std::to_string(d.stride) +
         "p" + std::to_string(d.pad) + "g" + std::to_string(d.groups) + (d.relu ? "relu" : "");
}

// The CPU's grouped, padded, strided forward against the direct sum.
void conv_direct_sum(Backend& be) {
  const ConvDesc d = conv(2, 4, 6, 6, 3, 2, 1, 2, false);
  const int oh = d.out_h(), ow = d.out_w(), cg = d.c / d.groups, og = d.out_c / d.groups;
  auto x = random_vector(size_t(d.n) * d.c * d.h * d.w, 2);
  auto w = random_vector(conv_weights(d), 3);
  auto b = random_vector(d.out_c, 4);
  Buf bx(be, x), bw(be, w), bb(be, b), by(be, size_t(d.n) * d.out_c * oh * ow);
  be.make_conv(d)->forward(bx.data(), bw.data(), bb.data(), by.data());
  const auto y = by.get();
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

}  // namespace

std::vector<OpCase> weighted_op_cases() {
  std::vector<OpCase> v;
  const auto covers_conv = with(weighted_op_methods(), {"Backend::make_conv", "Backend::set_tf32"});
  const ConvDesc shapes[] = {
      conv(2, 3, 35, 16, 11, 4, 0, 1, true),  // conv1's shape, scaled down
      conv(2, 8, 13, 12, 5, 1, 2, 2, true),   // conv2: padded, two groups
      conv(3, 6, 9, 8, 3, 1, 1, 2, false),    // conv4/5: 3x3, groups, no ReLU
      conv(2, 4, 10, 6, 5, 2, 2, 1, false),   // strided and padded
  };
  for (const ConvDesc& d : shapes)
    for (bool tf32 : {false, true}) {
      const Tol tol = tf32 ? kTf32 : kFp32;
      v.push_back({.name = "conv_" + conv_name(d) + (tf32 ? "_tf32" : "_fp32"),
                   .covers = covers_conv,
                   .compare = [d, tol](Backend& be) { return run_conv(be, d, 11, tol); },
                   .tf32 = tf32});
    }
  const ConvDesc grouped = conv(2, 4, 6, 6, 3, 2, 1, 2, false);
  v.push_back({.name = "conv_grouped_direct_sum",
               .covers = covers_conv,
               .compare = [grouped](Backend& be) { return run_conv(be, grouped, 2, kFp32); },
               .definition = conv_direct_sum});

  // A 4-D input flattened C,H,W-major, and a flat one.
  const InnerProductDesc ips[] = {{5, 8, 3, 3, 10, true}, {4, 70, 1, 1, 33, false}};
  for (const InnerProductDesc& d : ips)
    for (bool tf32 : {false, true}) {
      const Tol tol = tf32 ? kTf32 : kFp32;
      v.push_back({.name = "inner_product_n" + std::to_string(d.n) + "in" + std::to_string(d.in()) +
                           "h" + std::to_string(d.h) + "o" + std::to_string(d.out) +
                           (d.relu ? "relu" : "") + (tf32 ? "_tf32" : "_fp32"),
                   .covers = with(weighted_op_methods(), {"Backend::make_inner_product", "Backend::set_tf32"}),
                   .compare =
                       [d, tol](Backend& be) {
                         return run_weighted(be, *be.make_inner_product(d), size_t(d.n) * d.in(),
                                             size_t(d.out) * d.in(), size_t(d.n) * d.out,
                                             size_t(d.out), 21, tol);
                       },
                   .tf32 = tf32});
    }
  return v;
}

// ---------------------------------------------------------------------------
// Pooling and LRN.

namespace {

// The training forward, an inference forward that must not disturb what
// backward kept (the argmax), then backward.
Outputs run_pool(Backend& be, const PoolDesc& d) {
  const size_t xn = size_t(d.n) * d.c * d.h * d.w, yn = size_t(d.n) * d.c * d.out_h() * d.out_w();
  auto op = be.make_pool(d);
  Buf x(be, random_vector(xn, 31)), x2(be, random_vector(xn, 32));
  Buf dy(be, random_vector(yn, 33)), y(be, yn), y2(be, yn), dx(be, xn);
  op->forward(x.data(), y.data(), true);
  op->forward(x2.data(), y2.data(), false);
  op->backward(dy.data(), dx.data());
  return {{"training forward (exact)", y.get(), {}},
          {"inference forward (exact)", y2.get(), {}},
          {"backward", dx.get(), {1e-6f}}};
}

Outputs run_lrn(Backend& be, const LrnDesc& d, uint64_t seed) {
  const size_t n = size_t(d.n) * d.c * d.h * d.w;
  auto op = be.make_lrn(d);
  Buf x(be, random_vector(n, seed, 3.f)), dy(be, random_vector(n, seed + 1)), y(be, n), dx(be, n);
  op->forward(x.data(), y.data(), true);
  op->backward(x.data(), dy.data(), dx.data());
  return {{"forward", y.get(), kFp32}, {"backward", dx.get(), kFp32}};
}

// Caffe's LRN: y = x / (k + alpha/size * sum_{window} x^2)^beta, with alpha
// exaggerated so that alpha/size and alpha would differ clearly.
constexpr LrnDesc kLrnFormula{.n = 2, .c = 9, .h = 3, .w = 2, .alpha = 0.3f};

void lrn_caffe_formula(Backend& be) {
  const LrnDesc& d = kLrnFormula;
  const size_t hw = d.h * d.w, count = size_t(d.n) * d.c * hw;
  auto x = random_vector(count, 1);
  Buf bx(be, x), by(be, count);
  be.make_lrn(d)->forward(bx.data(), by.data(), false);
  const auto y = by.get();
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

// Caffe's ceil rounding of the pooled size (kernel 3, stride 2): 24 -> 12
// and 8 -> 4, where floor rounding gives 11 and 3.
void pool_ceil_sizes(Backend&) {
  PoolDesc p;
  p.kernel = 3;
  p.stride = 2;
  for (auto [in, out] : std::vector<std::pair<int, int>>{{55, 27}, {27, 13}, {13, 6}, {24, 12},
                                                         {12, 6}, {6, 3}, {8, 4}, {7, 3}}) {
    p.h = p.w = in;
    EXPECT_EQ(p.out_h(), out) << "input " << in;
  }
}

// PyTorch's floor rounding (ResNet's stem, 3x3 stride 2 pad 1: 112 -> 56),
// and average pooling: a global pool is the plane's mean, and its backward
// spreads dy evenly.
void pool_floor_and_average(Backend& be) {
  PoolDesc p{.kernel = 3, .stride = 2, .pad = 1, .ceil = false};
  for (auto [in, out] : std::vector<std::pair<int, int>>{{112, 56}, {14, 7}, {8, 4}, {7, 4}}) {
    p.h = p.w = in;
    EXPECT_EQ(p.out_h(), out) << "input " << in;
  }
  const PoolDesc g{.n = 2, .c = 3, .h = 5, .w = 5, .kernel = 5, .average = true};
  const std::vector<float> x = random_vector(150, 34);
  Buf bx(be, x), by(be, 6), bdy(be, std::vector<float>{1, 2, 3, 4, 5, 6}), bdx(be, 150);
  auto op = be.make_pool(g);
  op->forward(bx.data(), by.data(), true);
  op->backward(bdy.data(), bdx.data());
  const std::vector<float> y = by.get(), dx = bdx.get();
  for (size_t plane = 0; plane < 6; ++plane) {
    double mean = 0;
    for (size_t i = 0; i < 25; ++i) mean += x[plane * 25 + i] / 25.0;
    EXPECT_NEAR(y[plane], mean, 1e-6) << "plane " << plane;
    for (size_t i = 0; i < 25; ++i) EXPECT_FLOAT_EQ(dx[plane * 25 + i], float(plane + 1) / 25.f);
  }
}

}  // namespace

std::vector<OpCase> pool_lrn_cases() {
  std::vector<OpCase> v;
  const std::vector<std::string> covers_pool = {"Backend::make_pool", "PoolOp::forward",
                                                "PoolOp::backward"};
  // 24 -> 12 and 13 -> 7 need Caffe's ceil; 55 -> 27 is CaffeNet's first pool.
  const std::array<std::array<int, 4>, 4> shapes{
      {{24, 3, 2, 0}, {13, 3, 2, 1}, {55, 3, 2, 0}, {7, 2, 2, 0}}};
  for (const auto& s : shapes) {
    const PoolDesc d{.n = 2, .c = 3, .h = s[0], .w = s[0], .kernel = s[1], .stride = s[2],
                     .pad = s[3]};
    v.push_back({.name = "pool_h" + std::to_string(s[0]) + "k" + std::to_string(s[1]) + "s" +
                         std::to_string(s[2]) + "p" + std::to_string(s[3]),
                 .covers = covers_pool,
                 .compare = [d](Backend& be) { return run_pool(be, d); },
                 .definition = s[0] == 24 ? pool_ceil_sizes : nullptr});
  }
  const PoolDesc stem{.n = 2, .c = 3, .h = 14, .w = 14, .kernel = 3, .stride = 2, .pad = 1, .ceil = false};
  v.push_back({.name = "pool_h14k3s2p1_floor",
               .covers = covers_pool,
               .compare = [stem](Backend& be) { return run_pool(be, stem); },
               .definition = pool_floor_and_average});
  const PoolDesc global{.n = 3, .c = 4, .h = 7, .w = 7, .kernel = 7, .average = true};
  v.push_back({.name = "pool_global_average_h7",
               .covers = covers_pool,
               .compare = [global](Backend& be) { return run_pool(be, global); }});
  const std::vector<std::string> covers_lrn = {"Backend::make_lrn", "LrnOp::forward",
                                               "LrnOp::backward"};
  for (float alpha : {1e-4f, 0.3f}) {
    const LrnDesc d{.n = 2, .c = 16, .h = 5, .w = 6, .alpha = alpha};
    v.push_back({.name = alpha < 1e-3f ? "lrn_alpha1em4" : "lrn_alpha0p3",
                 .covers = covers_lrn,
                 .compare = [d](Backend& be) { return run_lrn(be, d, 41); }});
  }
  v.push_back({.name = "lrn_caffe_formula",
               .covers = covers_lrn,
               .compare = [](Backend& be) { return run_lrn(be, kLrnFormula, 1); },
               .definition = lrn_caffe_formula});
  return v;
}

}  // namespace xfer::testing
