// op_cases_elementwise.cpp: the op cases of the elementwise calls (the same
// IEEE operations on every backend, so the same bits; the dropout mask from
// the shared hash), the softmax loss, memory, and the backend's own
// settings.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/rng.h"
#include "gpu_test_util.h"
#include "op_cases.h"

namespace xfer::testing {

namespace {

constexpr size_t kN = 100003;  // not a multiple of any block size

std::vector<float> a() { return random_vector(kN, 51); }
std::vector<float> b() { return random_vector(kN, 52); }

}  // namespace

std::vector<OpCase> elementwise_cases() {
  std::vector<OpCase> v;
  v.push_back({.name = "relu_backward",
               .covers = {"Backend::relu_backward"},
               .compare = [](Backend& be) -> Outputs {
                 Buf y(be, a()), dy(be, b());
                 be.relu_backward(y.data(), dy.data(), kN);
                 return {{"relu_backward", dy.get(), kBits}};
               }});
  v.push_back({.name = "dropout_forward",
               .covers = {"Backend::dropout_forward"},
               .compare = [](Backend& be) -> Outputs {
                 Buf x(be, a()), y(be, kN), mask(be, kN);
                 be.dropout_forward(x.data(), y.data(), mask.data(), kN, 0.5f, 1234, 77);
                 return {{"dropout output", y.get(), kBits}, {"dropout mask", mask.get(), kBits}};
               }});
  v.push_back({.name = "multiply",
               .covers = {"Backend::multiply"},
               .compare = [](Backend& be) -> Outputs {
                 Buf x(be, a()), m(be, b()), y(be, kN);
                 be.multiply(x.data(), m.data(), y.data(), kN);
                 return {{"multiply", y.get(), kBits}};
               }});
  v.push_back({.name = "add",
               .covers = {"Backend::add"},
               .compare = [](Backend& be) -> Outputs {
                 Buf x(be, a()), y(be, b());
                 be.add(x.data(), y.data(), y.data(), kN);  // in place, as a gradient that meets another
                 return {{"add", y.get(), kBits}};
               }});
  // max(y, 0), but a NaN stays NaN: a ReLU must not hide a diverged value.
  v.push_back({.name = "relu",
               .covers = {"Backend::relu"},
               .compare = [](Backend& be) -> Outputs {
                 Buf y(be, a());
                 be.relu(y.data(), kN);
                 return {{"relu", y.get(), kBits}};
               },
               .check = [](Backend& be) {
                 const float nan = std::numeric_limits<float>::quiet_NaN();
                 Buf y(be, std::vector<float>{-1.f, 0.f, 2.5f, nan, -0.f});
                 be.relu(y.data(), 5);
                 const std::vector<float> got = y.get();
                 EXPECT_EQ(got[0], 0.f);
                 EXPECT_EQ(got[2], 2.5f);
                 EXPECT_TRUE(std::isnan(got[3])) << got[3];
                 EXPECT_EQ(got[4], 0.f);
               }});
  v.push_back({.name = "scale",
               .covers = {"Backend::scale"},
               .compare = [](Backend& be) -> Outputs {
                 Buf y(be, a());
                 be.scale(y.data(), kN, 0.37f);
                 return {{"scale", y.get(), kBits}};
               }});
  v.push_back({.name = "sgd_update",
               .covers = {"Backend::sgd_update"},
               .compare = [](Backend& be) -> Outputs {
                 Buf w(be, a()), g(be, b()), mom(be, random_vector(kN, 53, 0.01f));
                 be.sgd_update(w.data(), g.data(), mom.data(), kN, 0.01f, 0.9f, 5e-4f);
                 return {{"sgd weights", w.get(), kBits}, {"sgd momentum", mom.get(), kBits}};
               },
               // Caffe's rule: v = momentum*v + lr*(g + decay*w); w -= v.
               .definition = [](Backend& be) {
                 const std::vector<float> w0{1.f, -2.f, 0.5f}, g0{0.1f, 0.2f, -0.3f},
                     v0{0.01f, 0.f, -0.02f};
                 const float lr = 0.1f, mom = 0.9f, decay = 0.01f;
                 Buf w(be, w0), g(be, g0), v(be, v0);
                 be.sgd_update(w.data(), g.data(), v.data(), w0.size(), lr, mom, decay);
                 const auto wr = w.get(), vr = v.get();
                 for (size_t i = 0; i < w0.size(); ++i) {
                   const float vi = mom * v0[i] + lr * (g0[i] + decay * w0[i]);
                   EXPECT_FLOAT_EQ(vr[i], vi);
                   EXPECT_FLOAT_EQ(wr[i], w0[i] - vi);
                 }
               }});
  return v;
}

// ---------------------------------------------------------------------------
// The loss.

namespace {

constexpr int kLossN = 16, kLossValid = 13, kLossK = 1000;

// Logits with a few labels made the argmax, so top-1 and top-5 are both
// exercised.
void loss_inputs(std::vector<float>& logits, std::vector<int32_t>& labels) {
  logits = random_vector(size_t(kLossN) * kLossK, 61, 3.f);
  labels.resize(kLossN);
  Rng r(62);
  for (auto& l : labels) l = int32_t(r.next_u64() % kLossK);
  for (int i = 0; i < 4; ++i) logits[size_t(i) * kLossK + labels[size_t(i)]] = 20.f - float(i);
  logits[size_t(5) * kLossK + labels[5]] = 8.f;
}

LossStats run_loss(Backend& be, std::vector<float>& dlogits) {
  std::vector<float> logits;
  std::vector<int32_t> labels;
  loss_inputs(logits, labels);
  Buf x(be, logits), d(be, size_t(kLossN) * kLossK);
  const LossStats st = be.softmax_loss(x.data(), labels.data(), kLossN, kLossValid, kLossK);
  be.softmax_loss_backward(x.data(), labels.data(), kLossN, kLossValid, kLossK, 1.f / kLossN,
                           d.data());
  dlogits = d.get();
  return st;
}

// A NaN score is never a hit and keeps the loss NaN (the CUDA kernel once
// clamped a NaN probability to a finite 87.34): row 0 has one NaN score,
// row 1 a finite winning label, row 2 only NaNs.
LossStats run_nan_loss(Backend& be) {
  const int n = 3, k = 10;
  std::vector<float> logits(size_t(n) * k, 0.f);
  logits[2] = std::nanf("");
  logits[size_t(1) * k + 4] = 9.f;
  for (int j = 0; j < k; ++j) logits[size_t(2) * k + j] = std::nanf("");
  const std::vector<int32_t> labels{2, 4, 0};
  Buf x(be, logits);
  return be.softmax_loss(x.data(), labels.data(), n, n, k);
}

}  // namespace

std::vector<OpCase> loss_cases() {
  const std::vector<std::string> covers = {"Backend::softmax_loss",
                                           "Backend::softmax_loss_backward"};
  std::vector<OpCase> v;
  v.push_back({.name = "softmax_loss_stats_and_gradient",
               .covers = covers,
               .compare = [](Backend& be) -> Outputs {
                 std::vector<float> d;
                 const LossStats st = run_loss(be, d);
                 // The sum within 1e-5 of itself; the counts exactly.
                 return {{"loss sum", {float(st.loss_sum)}, {1e-5f}},
                         {"top-1 hits", {float(st.top1)}, {}},
                         {"top-5 hits", {float(st.top5)}, {}},
                         {"rows counted", {float(st.count)}, {}},
                         {"logit gradient", d, {1e-5f, 1e-9f}}};
               },
               .check = [](Backend& be) {
                 std::vector<float> d;
                 const LossStats st = run_loss(be, d);
                 EXPECT_GE(st.top1, 4);
                 EXPECT_EQ(st.count, kLossValid);
                 for (size_t i = size_t(kLossValid) * kLossK; i < d.size(); ++i)
                   ASSERT_EQ(d[i], 0.f) << "row past valid";
               }});
  v.push_back({.name = "softmax_loss_nan_rows",
               .covers = {"Backend::softmax_loss"},
               .check = [](Backend& be) {
                 const LossStats st = run_nan_loss(be);
                 EXPECT_EQ(st.top1, 1);
                 EXPECT_EQ(st.top5, 1);
                 EXPECT_TRUE(std::isnan(st.loss_sum));
               }});
  return v;
}

// ---------------------------------------------------------------------------
// Memory and the backend's own settings.

std::vector<OpCase> memory_cases() {
  std::vector<OpCase> v;
  v.push_back({.name = "memory_round_trip",
               .covers = {"Backend::alloc", "Backend::release", "Backend::upload",
                          "Backend::download", "Backend::copy", "Backend::zero",
                          "Backend::synchronize"},
               .check = [](Backend& be) {
                 const std::vector<float> x = random_vector(1000, 71);
                 Buf p(be, x.size()), q(be, x.size());
                 be.upload(p.data(), x.data(), x.size() * sizeof(float));
                 be.copy(q.data(), p.data(), x.size() * sizeof(float));
                 be.zero(p.data() + 10, 100 * sizeof(float));
                 be.synchronize();
                 std::vector<float> want = x;
                 std::fill(want.begin() + 10, want.begin() + 110, 0.f);
                 EXPECT_TRUE(near_all(p.get(), want, 0.f)) << "upload, then zero of a range";
                 EXPECT_TRUE(near_all(q.get(), x, 0.f)) << "copy";
               }});
  // The size a net is checked against before it allocates: at least what
  // the case itself just allocated, and no more than the address space holds.
  v.push_back({.name = "memory_capacity",
               .covers = {"Backend::memory_bytes"},
               .check = [](Backend& be) {
                 Buf p(be, size_t(1) << 20);
                 EXPECT_GE(be.memory_bytes(), (size_t(1) << 20) * sizeof(float));
                 EXPECT_LT(be.memory_bytes(), size_t(1) << 50) << "a petabyte";
               }});
  // Uploads go through staging buffers on a copy stream: one larger than a
  // staging buffer holds must stay ordered with the work queued before it.
  v.push_back({.name = "memory_uploads_larger_than_staging",
               .covers = {"Backend::upload", "Backend::copy"},
               .check = [](Backend& be) {
                 const size_t n = size_t(80) << 20;  // 320 MiB
                 std::vector<float> a(n), b(n);
                 for (size_t i = 0; i < n; ++i) {
                   a[i] = float(i % 65521);
                   b[i] = -float(i % 65519);
                 }
                 Buf x(be, n), y(be, n);
                 x.set(a);
                 be.copy(y.data(), x.data(), n * sizeof(float));
                 x.set(b);  // must wait for the copy above to have read x
                 EXPECT_TRUE(near_all(y.get(), a, 0.f)) << "the copy saw the second upload";
                 EXPECT_TRUE(near_all(x.get(), b, 0.f)) << "the second upload";
               },
               .on_cpu = false});
  // What the header promises of the settings: a name from the registry,
  // TF32 off when asked (and never on the CPU, which computes in fp32), one
  // queue for the whole life of the backend.
  v.push_back({.name = "backend_settings",
               .covers = {"Backend::name", "Backend::set_tf32", "Backend::tf32",
                          "Backend::native_stream"},
               .check = [](Backend& be) {
                 const auto built = built_backends();
                 EXPECT_NE(std::find(built.begin(), built.end(), be.name()), built.end());
                 be.set_tf32(true);
                 if (be.name() == "cpu") {
                   EXPECT_FALSE(be.tf32());
                 }
                 be.set_tf32(false);
                 EXPECT_FALSE(be.tf32());
                 EXPECT_EQ(be.native_stream(), be.native_stream());
                 if (be.name() == "cpu") {
                   EXPECT_EQ(be.native_stream(), nullptr);
                 }
               }});
  return v;
}

}  // namespace xfer::testing
