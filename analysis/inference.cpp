// inference.cpp: Student's t distribution, confidence intervals and Welch's test.
#include "analysis/inference.h"

#include <algorithm>

namespace xfer {

namespace {

// The j-th partial numerator of the continued fraction of I_x(a, b):
//   I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) / (1 + d1 / (1 + d2 / (1 + ...)))
// with d_{2m+1} = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)) and
//      d_{2m}   =  m(b-m)x / ((a+2m-1)(a+2m)).
double beta_fraction_numerator(int j, double a, double b, double x) {
  if (j % 2 == 1) {
    double m = (j - 1) / 2;
    return -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
  }
  double m = j / 2;
  return m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
}

// 1 + d1 / (1 + d2 / (1 + ...)) by the modified Lentz method: it walks the
// fraction forwards and stops when one more term no longer changes the value,
// so the number of terms need not be fixed in advance.
double beta_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300, eps = 1e-15;
  double value = 1, c = 1, d = 0;
  for (int j = 1; j <= 10000; ++j) {
    double num = beta_fraction_numerator(j, a, b, x);
    d = 1 + num * d;
    c = 1 + num / c;
    // A zero denominator would stop the recurrence; a tiny one steps over it.
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double step = c * d;
    value *= step;
    if (std::fabs(step - 1) < eps) break;
  }
  return value;
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return NAN;
  if (x == 0 || x == 1) return x;
  // The fraction converges quickly only below the mean of the beta
  // distribution; above it, I_x(a, b) = 1 - I_{1-x}(b, a).
  if (x > (a + 1) / (a + b + 2)) return 1 - regularized_incomplete_beta(b, a, 1 - x);
  double log_front = a * std::log(x) + b * std::log1p(-x) -
                     (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b)) - std::log(a);
  return std::exp(log_front) / beta_fraction(a, b, x);
}

double student_t_two_sided_p(double t, double dof) {
  if (std::isnan(t) || !(dof > 0)) return NAN;
  if (std::isinf(t)) return 0;
  // P(|T| >= |t|) = I_{dof / (dof + t^2)}(dof / 2, 1 / 2).
  return regularized_incomplete_beta(dof / 2, 0.5, dof / (dof + t * t));
}

double student_t_cdf(double t, double dof) {
  double tail = student_t_two_sided_p(t, dof) / 2;  // symmetric: each tail is half
  return t > 0 ? 1 - tail : tail;
}

double student_t_critical(double alpha, double dof) {
  if (!(alpha > 0) || !(alpha < 1) || !(dof > 0)) return NAN;
  // The p-value falls monotonically in |t|: bracket the answer, then halve
  // the bracket until it is as narrow as a double allows.
  double lo = 0, hi = 1;
  while (student_t_two_sided_p(hi, dof) > alpha) {
    lo = hi;
    hi *= 2;
  }
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    double mid = (lo + hi) / 2;
    (student_t_two_sided_p(mid, dof) > alpha ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

Interval mean_interval(const Summary& s, double level) {
  if (s.count < 2 || std::isnan(s.std)) return {};
  double half = student_t_critical(1 - level, s.count - 1) * s.std / std::sqrt(s.count);
  return {s.mean - half, s.mean + half};
}

double welch_dof(const Summary& a, const Summary& b) {
  if (a.count < 2 || b.count < 2) return NAN;
  double va = a.std * a.std / a.count, vb = b.std * b.std / b.count;
  return (va + vb) * (va + vb) / (va * va / (a.count - 1) + vb * vb / (b.count - 1));
}

WelchTest welch_test(const Summary& a, const Summary& b) {
  if (a.count < 2 || b.count < 2) return {};
  double se = std::sqrt(a.std * a.std / a.count + b.std * b.std / b.count);
  if (!(se > 0)) return {};
  WelchTest w;
  w.t = (a.mean - b.mean) / se;
  w.dof = welch_dof(a, b);
  w.p = student_t_two_sided_p(w.t, w.dof);
  return w;
}

}  // namespace xfer
