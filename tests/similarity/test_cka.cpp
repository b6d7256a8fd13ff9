// test_cka.cpp: the debiased linear CKA estimator (similarity/cka.h) against
// its defining properties and a plain float64 implementation of the formula
// written here from Song et al. (2012), eq. 5, with explicit matrix products.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "similarity/cka.h"
#include "similarity/plain_cka.h"

namespace xfer {
namespace {

using test::plain_hsic;

using Matrix = std::vector<float>;  // n x d, rows contiguous

Matrix random_matrix(int n, int d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  Matrix m(size_t(n) * d);
  for (auto& v : m) v = g(rng);
  return m;
}

// X Q: every row mapped by the d x d matrix q.
Matrix times(const Matrix& x, int n, int d, const std::vector<double>& q) {
  Matrix y(x.size());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) {
      double s = 0;
      for (int k = 0; k < d; ++k) s += double(x[size_t(i) * d + k]) * q[size_t(k) * d + j];
      y[size_t(i) * d + j] = float(s);
    }
  return y;
}

// A random orthogonal d x d matrix: Gram-Schmidt on gaussian columns.
std::vector<double> orthogonal(int d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  std::vector<double> q(size_t(d) * d);
  for (auto& v : q) v = g(rng);
  for (int c = 0; c < d; ++c) {
    for (int p = 0; p < c; ++p) {
      double dot = 0;
      for (int r = 0; r < d; ++r) dot += q[size_t(r) * d + c] * q[size_t(r) * d + p];
      for (int r = 0; r < d; ++r) q[size_t(r) * d + c] -= dot * q[size_t(r) * d + p];
    }
    double norm = 0;
    for (int r = 0; r < d; ++r) norm += q[size_t(r) * d + c] * q[size_t(r) * d + c];
    for (int r = 0; r < d; ++r) q[size_t(r) * d + c] /= std::sqrt(norm);
  }
  return q;
}

double cka_of(const Matrix& x, int dx, const Matrix& y, int dy, int n, int batch) {
  CkaSums s(1, 1);
  for (int start = 0; start < n; start += batch) {
    const int m = std::min(batch, n - start);
    s.add({make_gram(x.data() + size_t(start) * dx, m, dx)}, {make_gram(y.data() + size_t(start) * dy, m, dy)});
  }
  return s.cka(1, 1, "x", "y");
}

TEST(Cka, ARepresentationAgainstItselfIsOne) {
  const Matrix x = random_matrix(60, 20, 1);
  EXPECT_NEAR(cka_of(x, 20, x, 20, 60, 60), 1.0, 1e-12);
  EXPECT_NEAR(cka_of(x, 20, x, 20, 60, 15), 1.0, 1e-12);
}

TEST(Cka, InvariantToAnOrthogonalRotationAndIsotropicScaling) {
  const int n = 50, d = 12;
  const Matrix x = random_matrix(n, d, 2), y = random_matrix(n, d, 3);
  const double base = cka_of(x, d, y, d, n, 25);
  const Matrix rotated = times(x, n, d, orthogonal(d, 4));
  EXPECT_NEAR(cka_of(rotated, d, y, d, n, 25), base, 1e-6);
  Matrix scaled = y;
  for (auto& v : scaled) v *= 7.5f;
  EXPECT_NEAR(cka_of(x, d, scaled, d, n, 25), base, 1e-6);
  EXPECT_NEAR(cka_of(x, d, rotated, d, n, 25), 1.0, 1e-6);  // a rotation of itself
}

TEST(Cka, NotInvariantToAGeneralInvertibleLinearMap) {
  const int n = 50, d = 8;
  const Matrix x = random_matrix(n, d, 5);
  std::vector<double> a(size_t(d) * d, 0.0);  // invertible: upper triangular, nonzero diagonal, unequal scales
  for (int i = 0; i < d; ++i)
    for (int j = i; j < d; ++j) a[size_t(i) * d + j] = i == j ? 1.0 + 3.0 * i : 0.7;
  EXPECT_LT(cka_of(x, d, times(x, n, d, a), d, n, 25), 0.99);
}

TEST(Cka, AgreesWithThePlainFormulaAndTheMinibatchSum) {
  const int n = 48, dx = 30, dy = 7, batch = 12;
  const Matrix x = random_matrix(n, dx, 6), y0 = random_matrix(n, dy, 7);
  Matrix y = y0;  // related to x, so the value is far from 0
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < dy; ++c) y[size_t(i) * dy + c] += x[size_t(i) * dx + c];
  // One minibatch: the full-sample estimate.
  const double kl = plain_hsic(x, dx, y, dy, n), kk = plain_hsic(x, dx, x, dx, n), ll = plain_hsic(y, dy, y, dy, n);
  EXPECT_NEAR(unbiased_hsic(make_gram(x.data(), n, dx), make_gram(y.data(), n, dy)), kl, 1e-9 * std::fabs(kl));
  EXPECT_NEAR(cka_of(x, dx, y, dy, n, n), kl / std::sqrt(kk * ll), 1e-9);
  // Minibatches: each term summed over them, then the ratio.
  double skl = 0, skk = 0, sll = 0;
  for (int s = 0; s < n; s += batch) {
    const Matrix xb(x.begin() + size_t(s) * dx, x.begin() + size_t(s + batch) * dx);
    const Matrix yb(y.begin() + size_t(s) * dy, y.begin() + size_t(s + batch) * dy);
    skl += plain_hsic(xb, dx, yb, dy, batch);
    skk += plain_hsic(xb, dx, xb, dx, batch);
    sll += plain_hsic(yb, dy, yb, dy, batch);
  }
  const double minibatch = cka_of(x, dx, y, dy, n, batch);
  EXPECT_NEAR(minibatch, skl / std::sqrt(skk * sll), 1e-9);
  EXPECT_GT(std::fabs(minibatch - kl / std::sqrt(kk * ll)), 1e-6);  // a different estimator
}

TEST(Cka, ThreadCountsGiveTheSameValue) {
  const int n = 200, d = 500;
  const Matrix x = random_matrix(n, d, 8), y = random_matrix(n, d, 9);
  const double one = unbiased_hsic(make_gram(x.data(), n, d, 1), make_gram(y.data(), n, d, 1));
  const double two = unbiased_hsic(make_gram(x.data(), n, d, 2), make_gram(y.data(), n, d, 2));
  EXPECT_NEAR(one, two, 1e-6 * std::fabs(one));
  EXPECT_EQ(one, unbiased_hsic(make_gram(x.data(), n, d, 1), make_gram(y.data(), n, d, 1)));
}

TEST(CkaGuards, AMinibatchBelowFourIsRefused) {
  const Matrix x = random_matrix(3, 5, 10);
  try {
    make_gram(x.data(), 3, 5);
    FAIL() << "accepted a minibatch of 3";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("too small for the unbiased HSIC"), std::string::npos) << e.what();
  }
}

TEST(CkaGuards, AConstantRepresentationIsNamedNotANaN) {
  const int n = 20, d = 6;
  Matrix c(size_t(n) * d, 0.25f);
  const Matrix y = random_matrix(n, d, 11);
  CkaSums s(1, 1);
  s.add({make_gram(c.data(), n, d)}, {make_gram(y.data(), n, d)});
  try {
    s.cka(1, 1, "net_c", "net_y");
    FAIL() << "a constant representation gave a CKA";
  } catch (const std::exception& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("net_c: layer 1 gives every one of the 20 images the same representation"), std::string::npos) << m;
  }
}

TEST(CkaGuards, ASelfHsicAtRoundingSizeIsAnEstimationFailure) {
  // Constant rows not marked constant: their unbiased HSIC is zero up to rounding.
  const int n = 20, d = 6;
  Matrix c(size_t(n) * d, 0.25f);
  Gram g = make_gram(c.data(), n, d);
  g.constant = false;
  const Matrix y = random_matrix(n, d, 12);
  CkaSums s(1, 1);
  s.add({make_gram(y.data(), n, d)}, {g});
  try {
    s.cka(1, 1, "net_y", "net_g");
    FAIL() << "a self-HSIC of rounding size gave a CKA";
  } catch (const std::exception& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("net_g: layer 1: the estimated HSIC of the layer with itself is"), std::string::npos) << m;
    EXPECT_NE(m.find("an estimation failure"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace xfer
