// paired.cpp: paired t, the sign-flip randomization test, Holm's adjustment,
// and the Wilson and logit-t intervals of accuracies.
#include "analysis/paired.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>

#include <boost/math/distributions/normal.hpp>

namespace xfer {

namespace {

void check_level(double level, const char* who) {
  if (!(level > 0 && level < 1))
    throw std::invalid_argument(std::string(who) + ": confidence level " + std::to_string(level) +
                                " is not between 0 and 1");
}

void check_finite(const std::vector<double>& values, const char* who) {
  for (double v : values)
    if (!std::isfinite(v))
      throw std::invalid_argument(std::string(who) + ": a difference is not a finite number");
}

bool all_equal(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [&](double x) { return x == v.front(); });
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

// Sample standard deviation (divisor n - 1) about `mean`; needs n >= 2.
double std_of(const std::vector<double>& v, double mean) {
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / (v.size() - 1));
}

// z with P(Z > z) = (1 - level) / 2, from Boost.Math's normal distribution.
double normal_critical(double level) {
  return boost::math::quantile(boost::math::complement(boost::math::normal_distribution<double>(),
                                                       (1 - level) / 2));
}

double logit(double a) { return std::log(a / (1 - a)); }
double logistic(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace

// ---------------------------------------------------------------------------

PairedTest paired_test(const std::vector<double>& differences, double level) {
  check_level(level, "paired_test");
  check_finite(differences, "paired_test");
  PairedTest r;
  r.n = static_cast<int>(differences.size());
  if (r.n == 0) return r;
  r.mean = mean_of(differences);
  if (r.n < kMinUnitsToTest) return r;  // status too_few_units
  r.dof = r.n - 1;
  // Equal differences by comparison, not by a std that rounding may leave at
  // 1e-17: such a std would make t huge and p 0 out of nothing.
  if (all_equal(differences)) {
    r.status = PairedStatus::no_spread;
    r.mean = differences.front();
    r.std = 0;
    r.interval = {r.mean, r.mean};
    return r;
  }
  r.status = PairedStatus::tested;
  r.std = std_of(differences, r.mean);
  double se = r.std / std::sqrt(r.n);
  r.t = r.mean / se;
  r.p = student_t_two_sided_p(r.t, r.dof);
  double half = student_t_critical(1 - level, r.dof) * se;
  r.interval = {r.mean - half, r.mean + half};
  return r;
}

// ---------------------------------------------------------------------------

double sign_flip_p(const std::vector<double>& differences) {
  check_finite(differences, "sign_flip_p");
  int n = static_cast<int>(differences.size());
  if (n < kMinUnitsToTest) return NAN;
  if (n > kSignFlipMaxUnits)
    throw std::invalid_argument("sign_flip_p: " + std::to_string(n) + " units; exact enumeration stops at " +
                                std::to_string(kSignFlipMaxUnits));
  // Every sign assignment of the differences is one of |d|, so enumerate signs
  // of |d|, starting from all positive. The mirror image of an assignment has
  // the same |sum|: fix the first sign, enumerate the other 2^(n-1), and the
  // share counted is already the share of all 2^n.
  std::vector<long double> a(n);
  long double total = 0;
  for (int i = 0; i < n; ++i) total += a[i] = std::fabs(differences[i]);
  long double observed = std::fabs(std::accumulate(differences.begin(), differences.end(), 0.0L));
  long double threshold = observed - 1e-9L * total;
  // Gray code order: step k flips the sign of element ctz(k) + 1, so each
  // assignment's sum follows from the last in one addition. The running sum is
  // a long double so that 2^23 additions stay well inside the tie tolerance.
  long double sum = total;
  std::uint64_t count = std::fabs(sum) >= threshold;
  std::vector<int> sign(n, 1);
  std::uint64_t half = std::uint64_t{1} << (n - 1);
  for (std::uint64_t k = 1; k < half; ++k) {
    int i = std::countr_zero(k) + 1;
    sum -= 2 * sign[i] * a[i];
    sign[i] = -sign[i];
    count += std::fabs(sum) >= threshold;
  }
  return static_cast<double>(count) / static_cast<double>(half);
}

double sign_flip_min_p(int n) {
  if (n < 1) return NAN;
  return std::ldexp(1.0, 1 - n);  // 2 / 2^n
}

// ---------------------------------------------------------------------------

std::vector<double> holm_adjust(const std::vector<double>& p) {
  std::vector<double> adjusted(p.size(), NAN);
  std::vector<size_t> order;
  for (size_t i = 0; i < p.size(); ++i) {
    if (std::isnan(p[i])) continue;
    if (!(p[i] >= 0 && p[i] <= 1))
      throw std::invalid_argument("holm_adjust: p-value " + std::to_string(p[i]) + " is outside [0, 1]");
    order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p[x] < p[y]; });
  // Holm 1979: the i-th smallest (from 0) is compared with alpha / (m - i); as
  // an adjusted p that is (m - i) p, and the step-down stops at the first
  // acceptance, so an adjusted p is never below the one before it.
  size_t m = order.size();
  double running = 0;
  for (size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - i) * p[order[i]]));
    adjusted[order[i]] = running;
  }
  return adjusted;
}

// ---------------------------------------------------------------------------

Interval wilson_interval(double successes, double trials, double level) {
  check_level(level, "wilson_interval");
  if (!(trials > 0) || !std::isfinite(trials) || !(successes >= 0) || !(successes <= trials))
    throw std::invalid_argument("wilson_interval: " + std::to_string(successes) + " successes of " +
                                std::to_string(trials) + " trials");
  // Wilson 1927: the p whose score test |p_hat - p| / sqrt(p (1 - p) / n) = z,
  // the roots of a quadratic in p.
  double z = normal_critical(level), n = trials, ph = successes / n, z2n = z * z / n;
  double centre = (ph + z2n / 2) / (1 + z2n);
  double half = z * std::sqrt(ph * (1 - ph) / n + z2n / (4 * n)) / (1 + z2n);
  // At 0 or all successes one root is exactly 0 or 1; the formula leaves 1e-17
  // there.
  Interval r{successes == 0 ? 0 : centre - half, successes == trials ? 1 : centre + half};
  r.low = std::clamp(r.low, 0.0, 1.0);
  r.high = std::clamp(r.high, 0.0, 1.0);
  return r;
}

double binomial_se(double accuracy, double trials) {
  if (!(accuracy >= 0 && accuracy <= 1) || !(trials > 0) || !std::isfinite(trials))
    throw std::invalid_argument("binomial_se: accuracy " + std::to_string(accuracy) + " on " +
                                std::to_string(trials) + " trials");
  return std::sqrt(accuracy * (1 - accuracy) / trials);
}

// ---------------------------------------------------------------------------

Interval logit_t_interval(const std::vector<double>& accuracies, double level, double epsilon) {
  check_level(level, "logit_t_interval");
  if (!(epsilon > 0 && epsilon < 0.5))
    throw std::invalid_argument("logit_t_interval: epsilon " + std::to_string(epsilon) +
                                " is not between 0 and 0.5");
  for (double a : accuracies)
    if (!(a >= 0 && a <= 1))
      throw std::invalid_argument("logit_t_interval: accuracy " + std::to_string(a) + " is outside [0, 1]");
  if (accuracies.size() < 2) return {};
  std::vector<double> l;
  for (double a : accuracies) l.push_back(logit(std::clamp(a, epsilon, 1 - epsilon)));
  double m = mean_of(l);
  if (all_equal(l)) return {logistic(l.front()), logistic(l.front())};
  double dof = static_cast<double>(l.size() - 1);
  double half = student_t_critical(1 - level, dof) * std_of(l, m) / std::sqrt(l.size());
  return {logistic(m - half), logistic(m + half)};
}

Interval group_accuracy_interval(const std::vector<double>& accuracies) {
  if (static_cast<int>(accuracies.size()) < kMinUnitsToTest) return {};
  return logit_t_interval(accuracies);
}

}  // namespace xfer
