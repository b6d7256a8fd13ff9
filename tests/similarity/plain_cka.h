// plain_cka.h: the similarity tests' own float64 implementation of the
// unbiased HSIC (Song et al. 2012, eq. 5) with explicit matrix products, so the
// estimator and the tool are checked against the formula, not against themselves.
#pragma once

#include <cmath>
#include <vector>

namespace xfer::test {

// Rows of `n` representations, `d` floats each.
inline double plain_hsic(const std::vector<float>& x, int dx, const std::vector<float>& y, int dy, int n) {
  auto gram = [n](const std::vector<float>& m, int d) {
    std::vector<double> k(size_t(n) * n, 0.0);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        if (i != j)
          for (int c = 0; c < d; ++c) k[size_t(i) * n + j] += double(m[size_t(i) * d + c]) * double(m[size_t(j) * d + c]);
    return k;
  };
  const std::vector<double> k = gram(x, dx), l = gram(y, dy);
  std::vector<double> kl(size_t(n) * n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int m = 0; m < n; ++m)
      for (int j = 0; j < n; ++j) kl[size_t(i) * n + j] += k[size_t(i) * n + m] * l[size_t(m) * n + j];
  double trace = 0, one_k_one = 0, one_l_one = 0, one_kl_one = 0;
  for (int i = 0; i < n; ++i) trace += kl[size_t(i) * n + i];
  for (size_t i = 0; i < k.size(); ++i) one_k_one += k[i], one_l_one += l[i], one_kl_one += kl[i];
  const double nn = n;
  return (trace + one_k_one * one_l_one / ((nn - 1) * (nn - 2)) - 2.0 / (nn - 2) * one_kl_one) / (nn * (nn - 3));
}

// The minibatch sums of the three terms, then the ratio.
struct PlainCkaSums {
  double kl = 0, kk = 0, ll = 0;
  void add(const std::vector<float>& x, int dx, const std::vector<float>& y, int dy, int n) {
    kl += plain_hsic(x, dx, y, dy, n);
    kk += plain_hsic(x, dx, x, dx, n);
    ll += plain_hsic(y, dy, y, dy, n);
  }
  double cka() const { return kl / std::sqrt(kk * ll); }
};

}  // namespace xfer::test
