// test_cuda_ops.cpp: every op of the CUDA backend against the CPU backend on
// the same inputs, forward and backward. Tolerances are relative to the
// largest magnitude of the CPU result: 1e-4 in fp32 (cuDNN may pick
// Winograd or FFT algorithms whose rounding differs from oneDNN's direct
// sums), 2e-2 with TF32 (10-bit mantissas); elementwise ops and the dropout
// mask are compared bit for bit. Skipped, with a message, without a GPU.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "gpu_test_util.h"

namespace xfer {

void PrintTo(const ConvDesc& d, std::ostream* os) {
  *os << d.n << "x" << d.c << "x" << d.h << "x" << d.w << " -> " << d.out_c << ", kernel "
      << d.kernel << " stride " << d.stride << " pad " << d.pad << " groups " << d.groups
      << (d.relu ? " relu" : "");
}

namespace {

using testing::Buf;
using testing::near_all;
using testing::random_vector;

constexpr float kFp32Tol = 1e-4f, kTf32Tol = 2e-2f;

std::unique_ptr<Backend> cpu() { return make_backend("cpu", 0, 2); }
std::unique_ptr<Backend> gpu(bool tf32 = false) {
  auto be = make_backend("cuda", 0);
  be->set_tf32(tf32);
  return be;
}

// ---------------------------------------------------------------------------
// Convolution and fully connected layers: y, dx, dw, db.

using Results = std::array<std::vector<float>, 4>;

// y, dx, dw and db of a conv or inner product op made on `be`, on random
// inputs of the sizes given.
template <class Op>
Results run_param_op(Backend& be, Op& op, size_t xn, size_t wn, size_t yn, size_t bn,
                     uint64_t seed) {
  Buf x(be, random_vector(xn, seed)), w(be, random_vector(wn, seed + 1, 0.1f));
  Buf b(be, random_vector(bn, seed + 2)), dy(be, random_vector(yn, seed + 3));
  Buf y(be, yn), dx(be, xn), dw(be, wn), db(be, bn);
  op.forward(x.data(), w.data(), b.data(), y.data());
  op.backward_data(dy.data(), w.data(), dx.data());
  op.backward_weights(x.data(), dy.data(), dw.data(), db.data());
  return {y.get(), dx.get(), dw.get(), db.get()};
}

Results run_conv(Backend& be, const ConvDesc& d, uint64_t seed) {
  return run_param_op(be, *be.make_conv(d), size_t(d.n) * d.c * d.h * d.w,
                      size_t(d.out_c) * (d.c / d.groups) * d.kernel * d.kernel,
                      size_t(d.n) * d.out_c * d.out_h() * d.out_w(), size_t(d.out_c), seed);
}

Results run_ip(Backend& be, const InnerProductDesc& d, uint64_t seed) {
  return run_param_op(be, *be.make_inner_product(d), size_t(d.n) * d.in(), size_t(d.out) * d.in(),
                      size_t(d.n) * d.out, size_t(d.out), seed);
}

void expect_close(const Results& g, const Results& c, float tol) {
  const char* names[] = {"forward output", "input gradient", "weight gradient", "bias gradient"};
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(near_all(g[i], c[i], tol)) << names[i];
}

ConvDesc conv(int n, int c, int hw, int out, int k, int s, int p, int g, bool relu) {
  return {.n = n, .c = c, .h = hw, .w = hw, .out_c = out, .kernel = k, .stride = s, .pad = p,
          .groups = g, .relu = relu};
}

class CudaConv : public ::testing::TestWithParam<std::tuple<ConvDesc, bool>> {};

TEST_P(CudaConv, MatchesCpu) {
  XFER_REQUIRE_GPU();
  const auto& [d, tf32] = GetParam();
  auto c = cpu();
  auto g = gpu(tf32);
  expect_close(run_conv(*g, d, 11), run_conv(*c, d, 11), tf32 ? kTf32Tol : kFp32Tol);
}

const ConvDesc kConvs[] = {
    conv(2, 3, 35, 16, 11, 4, 0, 1, true),  // conv1's shape, scaled down
    conv(2, 8, 13, 12, 5, 1, 2, 2, true),   // conv2: padded, two groups
    conv(3, 6, 9, 8, 3, 1, 1, 2, false),    // conv4/5: 3x3, groups, no ReLU
    conv(2, 4, 10, 6, 5, 2, 2, 1, false),   // strided and padded
};
std::string conv_name(const ConvDesc& d) {
  return "n" + std::to_string(d.n) + "c" + std::to_string(d.c) + "h" + std::to_string(d.h) + "o" +
         std::to_string(d.out_c) + "k" + std::to_string(d.kernel) + "s" + std::to_string(d.stride) +
         "p" + std::to_string(d.pad) + "g" + std::to_string(d.groups) + (d.relu ? "relu" : "");
}
INSTANTIATE_TEST_SUITE_P(Shapes, CudaConv,
                         ::testing::Combine(::testing::ValuesIn(kConvs), ::testing::Bool()),
                         [](const auto& info) {
                           return conv_name(std::get<0>(info.param)) +
                                  (std::get<1>(info.param) ? "_tf32" : "_fp32");
                         });

TEST(CudaInnerProduct, MatchesCpuFlatAndSpatialInput) {
  XFER_REQUIRE_GPU();
  for (bool tf32 : {false, true}) {
    auto c = cpu();
    auto g = gpu(tf32);
    InnerProductDesc spatial{5, 8, 3, 3, 10, true};  // a 4-D input, flattened C,H,W-major
    InnerProductDesc flat{4, 70, 1, 1, 33, false};
    for (const auto& d : {spatial, flat}) {
      SCOPED_TRACE("tf32 " + std::to_string(tf32) + ", in " + std::to_string(d.in()));
      expect_close(run_ip(*g, d, 21), run_ip(*c, d, 21), tf32 ? kTf32Tol : kFp32Tol);
    }
  }
}

// ---------------------------------------------------------------------------
// Pooling and LRN.

TEST(CudaPool, MatchesCpuWithCeilRoundingAndKeepsTrainingArgmax) {
  XFER_REQUIRE_GPU();
  // 24 -> 12 and 13 -> 7 need Caffe's ceil; 55 -> 27 is CaffeNet's first pool.
  const std::array<std::array<int, 4>, 4> shapes{{{24, 3, 2, 0}, {13, 3, 2, 1}, {55, 3, 2, 0},
                                                  {7, 2, 2, 0}}};
  for (const auto& s : shapes) {
    const PoolDesc d{.n = 2, .c = 3, .h = s[0], .w = s[0], .kernel = s[1], .stride = s[2], .pad = s[3]};
    SCOPED_TRACE("input " + std::to_string(s[0]) + " pad " + std::to_string(s[3]));
    const size_t xn = size_t(d.n) * d.c * d.h * d.w, yn = size_t(d.n) * d.c * d.out_h() * d.out_w();
    auto run = [&](Backend& be) {
      auto op = be.make_pool(d);
      Buf x(be, random_vector(xn, 31)), x2(be, random_vector(xn, 32));
      Buf dy(be, random_vector(yn, 33)), y(be, yn), y2(be, yn), dx(be, xn);
      op->forward(x.data(), y.data(), true);
      op->forward(x2.data(), y2.data(), false);  // must not disturb backward
      op->backward(dy.data(), dx.data());
      return std::array<std::vector<float>, 3>{y.get(), y2.get(), dx.get()};
    };
    auto c = cpu();
    auto g = gpu();
    auto rc = run(*c), rg = run(*g);
    EXPECT_TRUE(near_all(rg[0], rc[0], 0.f)) << "training forward (exact)";
    EXPECT_TRUE(near_all(rg[1], rc[1], 0.f)) << "inference forward (exact)";
    EXPECT_TRUE(near_all(rg[2], rc[2], 1e-6f)) << "backward";
  }
}

TEST(CudaLrn, MatchesCpu) {
  XFER_REQUIRE_GPU();
  for (float alpha : {1e-4f, 0.3f}) {
    const LrnDesc d{.n = 2, .c = 16, .h = 5, .w = 6, .alpha = alpha};
    SCOPED_TRACE("alpha " + std::to_string(alpha));
    const size_t n = size_t(d.n) * d.c * d.h * d.w;
    auto run = [&](Backend& be) {
      auto op = be.make_lrn(d);
      Buf x(be, random_vector(n, 41, 3.f)), dy(be, random_vector(n, 42)), y(be, n), dx(be, n);
      op->forward(x.data(), y.data(), true);
      op->backward(x.data(), dy.data(), dx.data());
      return std::array<std::vector<float>, 2>{y.get(), dx.get()};
    };
    auto c = cpu();
    auto g = gpu();
    auto rc = run(*c), rg = run(*g);
    EXPECT_TRUE(near_all(rg[0], rc[0], kFp32Tol)) << "forward";
    EXPECT_TRUE(near_all(rg[1], rc[1], kFp32Tol)) << "backward";
  }
}

// ---------------------------------------------------------------------------
// Elementwise work: the same IEEE operations, so the same bits.

TEST(CudaElementwise, BitIdenticalToCpu) {
  XFER_REQUIRE_GPU();
  const size_t n = 100003;  // not a multiple of any block size
  auto a = random_vector(n, 51), b = random_vector(n, 52), v = random_vector(n, 53, 0.01f);
  auto run = [&](Backend& be) {
    std::vector<std::vector<float>> out;
    Buf ya(be, a), yb(be, b), m(be, n), y(be, n), w(be, a), g(be, b), mom(be, v);
    be.relu_backward(ya.data(), yb.data(), n);
    out.push_back(yb.get());
    be.dropout_forward(ya.data(), y.data(), m.data(), n, 0.5f, 1234, 77);
    out.push_back(y.get());
    out.push_back(m.get());
    be.multiply(ya.data(), m.data(), y.data(), n);
    out.push_back(y.get());
    be.scale(y.data(), n, 0.37f);
    out.push_back(y.get());
    be.sgd_update(w.data(), g.data(), mom.data(), n, 0.01f, 0.9f, 5e-4f);
    out.push_back(w.get());
    out.push_back(mom.get());
    return out;
  };
  auto c = cpu();
  auto g = gpu();
  auto rc = run(*c), rg = run(*g);
  const char* names[] = {"relu_backward", "dropout output", "dropout mask", "multiply",
                         "scale",         "sgd weights",    "sgd momentum"};
  for (size_t i = 0; i < rc.size(); ++i)
    EXPECT_EQ(0, std::memcmp(rg[i].data(), rc[i].data(), n * sizeof(float))) << names[i];
}

// ---------------------------------------------------------------------------
// The loss.

TEST(CudaLoss, StatsAndGradientMatchCpu) {
  XFER_REQUIRE_GPU();
  const int n = 16, valid = 13, k = 1000;
  auto logits = random_vector(size_t(n) * k, 61, 3.f);
  std::vector<int32_t> labels(n);
  Rng r(62);
  for (auto& l : labels) l = int32_t(r.next_u64() % k);
  // Make a few labels the argmax so top-1 and top-5 are both exercised.
  for (int i = 0; i < 4; ++i) logits[size_t(i) * k + labels[size_t(i)]] = 20.f - float(i);
  logits[size_t(5) * k + labels[5]] = 8.f;
  auto run = [&](Backend& be, LossStats& st) {
    Buf x(be, logits), d(be, size_t(n) * k);
    st = be.softmax_loss(x.data(), labels.data(), n, valid, k);
    be.softmax_loss_backward(x.data(), labels.data(), n, valid, k, 1.f / n, d.data());
    return d.get();
  };
  auto c = cpu();
  auto g = gpu();
  LossStats sc, sg;
  auto dc = run(*c, sc), dg = run(*g, sg);
  EXPECT_NEAR(sg.loss_sum, sc.loss_sum, 1e-5 * std::fabs(sc.loss_sum));
  EXPECT_EQ(sg.top1, sc.top1);
  EXPECT_EQ(sg.top5, sc.top5);
  EXPECT_EQ(sg.count, sc.count);
  EXPECT_GE(sc.top1, 4);
  EXPECT_TRUE(near_all(dg, dc, 1e-5f, 1e-9f));
  for (size_t i = size_t(valid) * k; i < dg.size(); ++i) ASSERT_EQ(dg[i], 0.f) << "row past valid";
}

// A NaN score is never a hit and keeps the loss NaN, on both backends alike
// (the kernel once clamped a NaN probability to a finite 87.34).
TEST(CudaLoss, NanRowsScoreNoHitsAndKeepTheLossNan) {
  XFER_REQUIRE_GPU();
  const int n = 3, k = 10;
  std::vector<float> logits(size_t(n) * k, 0.f);
  logits[2] = std::nanf("");           // row 0: one NaN score
  logits[size_t(1) * k + 4] = 9.f;     // row 1: label 4 wins, finite
  for (int j = 0; j < k; ++j) logits[size_t(2) * k + j] = std::nanf("");  // row 2: all NaN
  std::vector<int32_t> labels{2, 4, 0};
  auto run = [&](Backend& be) {
    Buf x(be, logits);
    return be.softmax_loss(x.data(), labels.data(), n, n, k);
  };
  auto c = cpu();
  auto g = gpu();
  const LossStats sc = run(*c), sg = run(*g);
  EXPECT_EQ(sc.top1, 1);
  EXPECT_EQ(sc.top5, 1);
  EXPECT_EQ(sg.top1, sc.top1);
  EXPECT_EQ(sg.top5, sc.top5);
  EXPECT_TRUE(std::isnan(sc.loss_sum));
  EXPECT_TRUE(std::isnan(sg.loss_sum));
}

// ---------------------------------------------------------------------------
// Memory: uploads on the copy stream stay ordered with the compute stream.

TEST(CudaMemory, UploadsLargerThanStagingStayOrdered) {
  XFER_REQUIRE_GPU();
  auto g = gpu();
  const size_t n = size_t(80) << 20;  // 320 MiB: more than one staging buffer holds
  std::vector<float> a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = float(i % 65521);
    b[i] = -float(i % 65519);
  }
  Buf x(*g, n), y(*g, n);
  x.set(a);
  g->copy(y.data(), x.data(), n * sizeof(float));
  x.set(b);  // must wait for the copy above to have read x
  EXPECT_TRUE(near_all(y.get(), a, 0.f)) << "the copy saw the second upload";
  EXPECT_TRUE(near_all(x.get(), b, 0.f)) << "the second upload";
}

}  // namespace
}  // namespace xfer
