// inference.cpp: Student's t distribution (Boost.Math) and confidence intervals.
#include "analysis/inference.h"

#include <boost/math/distributions/students_t.hpp>

namespace xfer {

namespace {

namespace bm = boost::math;

// Boost.Math reports a domain error (dof <= 0, a probability outside [0, 1])
// by throwing std::domain_error under its default policy ("Error Handling
// Policies" in the Boost.Math documentation). The callers here want NaN, so
// the arguments are checked first and this policy turns anything that still
// slips through into NaN (domain) or an infinity (overflow) instead of a throw.
using QuietPolicy = bm::policies::policy<bm::policies::domain_error<bm::policies::ignore_error>,
                                         bm::policies::overflow_error<bm::policies::ignore_error>,
                                         bm::policies::evaluation_error<bm::policies::ignore_error>>;
using StudentT = bm::students_t_distribution<double, QuietPolicy>;

bool valid_dof(double dof) { return dof > 0; }  // false for NaN too; +inf is the normal

}  // namespace

double student_t_two_sided_p(double t, double dof) {
  if (std::isnan(t) || !valid_dof(dof)) return NAN;
  if (std::isinf(t)) return 0;
  // The upper tail through complement(): 1 - cdf would lose every digit of a
  // small p to cancellation.
  return 2 * bm::cdf(bm::complement(StudentT(dof), std::fabs(t)));
}

double student_t_cdf(double t, double dof) {
  if (std::isnan(t) || !valid_dof(dof)) return NAN;
  if (std::isinf(t)) return t > 0 ? 1 : 0;
  return bm::cdf(StudentT(dof), t);
}

double student_t_critical(double alpha, double dof) {
  if (!(alpha > 0) || !(alpha < 1) || !valid_dof(dof)) return NAN;
  // The upper alpha/2 point, P(T > t) = alpha / 2, by the complement quantile
  // (Boost.Math: "Complements are supported too", Student's t examples).
  return bm::quantile(bm::complement(StudentT(dof), alpha / 2));
}

Interval mean_interval(const Summary& s, double level) {
  if (s.count < 2 || std::isnan(s.std)) return {};
  double half = student_t_critical(1 - level, s.count - 1) * s.std / std::sqrt(s.count);
  return {s.mean - half, s.mean + half};
}

}  // namespace xfer
