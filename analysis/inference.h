// inference.h: how sure a group mean is. Student's t distribution and the
// confidence interval of a mean (no test of two pooled groups: the tables test
// paired differences over units, paired.h). The distribution itself is Boost.Math's (header-only, so the
// analysis still links no numeric library); this file fixes the conventions the
// tables use (two-sided p, NaN rather than an exception outside the domain) and
// is tested against published values. Paired differences: paired.h.
#pragma once

#include <cmath>

#include "analysis/run.h"

namespace xfer {

// P(T <= t) for Student's t with `dof` > 0 degrees of freedom (not necessarily
// an integer: Welch's are not); NaN for dof <= 0 or a NaN argument.
double student_t_cdf(double t, double dof);
// P(|T| >= |t|): the two-sided p-value of a t statistic; 0 for an infinite t,
// NaN for dof <= 0 or a NaN argument.
double student_t_two_sided_p(double t, double dof);
// The t with P(|T| >= t) = alpha, e.g. 2.228 for alpha 0.05 and dof 10; NaN
// unless 0 < alpha < 1 and dof > 0.
double student_t_critical(double alpha, double dof);

// A confidence interval; both ends NaN when there is none.
struct Interval {
  double low = NAN;
  double high = NAN;
  bool empty() const { return std::isnan(low) || std::isnan(high); }
};

// mean +- t(1 - alpha/2, n - 1) * std / sqrt(n). Needs n >= 2: one network
// says nothing about the spread, so n < 2 gives no interval (not a zero-width one).
Interval mean_interval(const Summary& s, double level = 0.95);

}  // namespace xfer
