// cka.cpp: the Gram matrices, the unbiased HSIC and the minibatch sums
// (the formulas and their sources: cka.h).
#include "similarity/cka.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/check.h"

namespace xfer {

namespace {

// Columns widened to float64 at a time: bounds the copy at n * 4096 doubles
// for CaffeNet's 70,000-wide conv1 boundary.
constexpr size_t kColumnBlock = 4096;

bool rows_equal(const float* x, int n, size_t dim) {
  for (int i = 1; i < n; ++i)
    if (std::memcmp(x, x + size_t(i) * dim, dim * sizeof(float)) != 0) return false;
  return true;
}

}  // namespace

Gram make_gram(const float* x, int n, size_t dim, int threads) {
  XFER_CHECK(n >= kMinCkaBatch, "a minibatch of " << n << " images is too small for the unbiased HSIC (it needs "
                                                  << kMinCkaBatch << " or more)");
  XFER_CHECK(dim > 0, "a representation with no features");
  if (threads > 0) openblas_set_num_threads(threads);
  Gram g;
  g.n = n;
  g.k.assign(size_t(n) * n, 0.0);
  g.constant = rows_equal(x, n, dim);
  std::vector<double> wide;
  for (size_t c0 = 0; c0 < dim; c0 += kColumnBlock) {
    const size_t cols = std::min(kColumnBlock, dim - c0);
    wide.resize(size_t(n) * cols);
    for (int i = 0; i < n; ++i)
      for (size_t j = 0; j < cols; ++j) wide[size_t(i) * cols + j] = double(x[size_t(i) * dim + c0 + j]);
    // Upper triangle of K += X_block X_block^T.
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, int(cols), 1.0, wide.data(), int(cols), 1.0,
                g.k.data(), n);
  }
  for (int i = 0; i < n; ++i) {
    g.k[size_t(i) * n + i] = 0.0;
    for (int j = i + 1; j < n; ++j) g.k[size_t(j) * n + i] = g.k[size_t(i) * n + j];
  }
  g.row_sums.assign(n, 0.0);
  for (int i = 0; i < n; ++i) {
    double s = 0;
    for (int j = 0; j < n; ++j) s += g.k[size_t(i) * n + j];
    g.row_sums[i] = s;
    g.total += s;
  }
  return g;
}

double unbiased_hsic(const Gram& k, const Gram& l) {
  XFER_CHECK(k.n == l.n, "HSIC of Gram matrices of " << k.n << " and " << l.n << " images");
  const double n = k.n;
  double trace = 0;  // tr(K~ L~) = sum_ij K~_ij L~_ij, both symmetric
  const size_t nn = size_t(k.n) * k.n;
  for (size_t i = 0; i < nn; ++i) trace += k.k[i] * l.k[i];
  double cross = 0;  // 1'K~L~1 = (K~1)'(L~1)
  for (int i = 0; i < k.n; ++i) cross += k.row_sums[i] * l.row_sums[i];
  return (trace + k.total * l.total / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * cross) / (n * (n - 3));
}

CkaSums::CkaSums(int layers_a, int layers_b)
    : la_(layers_a), lb_(layers_b), kl_(size_t(layers_a) * layers_b, 0.0), kk_(layers_a, 0.0),
      ll_(layers_b, 0.0), kk_scale_(layers_a, 0.0), ll_scale_(layers_b, 0.0), const_a_(layers_a, true),
      const_b_(layers_b, true) {}

namespace {

// tr(K~K~) / (n(n-3)): the HSIC's first term alone, the scale of its rounding error.
double self_scale(const Gram& g) {
  double s = 0;
  for (double v : g.k) s += v * v;
  return s / (double(g.n) * (g.n - 3));
}

}  // namespace

void CkaSums::add(const std::vector<Gram>& a, const std::vector<Gram>& b) {
  XFER_CHECK(int(a.size()) == la_ && int(b.size()) == lb_,
             "a minibatch of " << a.size() << " and " << b.size() << " layers for sums of " << la_ << " and " << lb_);
  for (int i = 0; i < la_; ++i) {
    kk_[i] += unbiased_hsic(a[i], a[i]);
    kk_scale_[i] += self_scale(a[i]);
    const_a_[i] = const_a_[i] && a[i].constant;
  }
  for (int j = 0; j < lb_; ++j) {
    ll_[j] += unbiased_hsic(b[j], b[j]);
    ll_scale_[j] += self_scale(b[j]);
    const_b_[j] = const_b_[j] && b[j].constant;
  }
  for (int i = 0; i < la_; ++i)
    for (int j = 0; j < lb_; ++j) kl_[size_t(i) * lb_ + j] += unbiased_hsic(a[i], b[j]);
  images_ += a.empty() ? 0 : a[0].n;
  ++batches_;
}

void CkaSums::check_self(const std::vector<double>& self, const std::vector<double>& scale,
                         const std::vector<bool>& constant, int layer, const std::string& name) const {
  XFER_CHECK(!constant[layer - 1], name << ": layer " << layer << " gives every one of the " << images_
                                        << " images the same representation: its HSIC is zero and CKA is not "
                                           "defined");
  // The unbiased HSIC of a layer with itself is a squared norm (of the U-centred
  // Gram; Szekely and Rizzo 2014), never negative: at or below rounding's size
  // it is not a measurement.
  XFER_CHECK(self[layer - 1] > 1e-12 * scale[layer - 1] && std::isfinite(self[layer - 1]),
             name << ": layer " << layer << ": the estimated HSIC of the layer with itself is " << self[layer - 1]
                  << " over " << images_ << " images in " << batches_
                  << " minibatches, at the size of its rounding: an estimation failure, not a similarity (the "
                     "layer's representations differ from image to image by little more than float32 rounding, "
                     "or the sample is too small)");
}

double CkaSums::cka(int a, int b, const std::string& name_a, const std::string& name_b) const {
  XFER_CHECK(batches_ > 0, "no minibatch was added");
  XFER_CHECK(a >= 1 && a <= la_ && b >= 1 && b <= lb_, "layer pair " << a << ", " << b << " out of range");
  check_self(kk_, kk_scale_, const_a_, a, name_a);
  check_self(ll_, ll_scale_, const_b_, b, name_b);
  const double v = kl_[size_t(a - 1) * lb_ + (b - 1)] / std::sqrt(kk_[a - 1] * ll_[b - 1]);
  XFER_CHECK(std::isfinite(v), name_a << " layer " << a << " and " << name_b << " layer " << b
                                      << ": CKA is not finite (" << v << ")");
  return v;
}

}  // namespace xfer
