// test_inference.cpp: the t distribution and confidence intervals against
// published values (t tables, reproduced independently by numerical
// integration of the t density) and the closed forms of dof 1 and 2.
#include "analysis/inference.h"

#include <gtest/gtest.h>

namespace xfer {
namespace {

TEST(Inference, StudentTKnownValues) {
  EXPECT_NEAR(student_t_two_sided_p(2.0, 5), 0.10194, 5e-5);
  EXPECT_NEAR(student_t_two_sided_p(-2.0, 5), 0.10194, 5e-5);
  EXPECT_NEAR(student_t_two_sided_p(2.228, 10), 0.0500, 5e-5);
  EXPECT_NEAR(student_t_two_sided_p(12.706, 1), 0.0500, 5e-6);
  EXPECT_NEAR(student_t_two_sided_p(0, 3), 1.0, 1e-13);
  // dof 1 is the Cauchy distribution: P(T <= 1) = 3/4 exactly.
  EXPECT_NEAR(student_t_cdf(1, 1), 0.75, 1e-13);
  EXPECT_NEAR(student_t_cdf(-1, 1), 0.25, 1e-13);
  EXPECT_NEAR(student_t_cdf(0, 7), 0.5, 1e-13);
  // Large dof approaches the normal: P(Z <= 1.959964) = 0.975.
  EXPECT_NEAR(student_t_cdf(1.959964, 1e7), 0.975, 1e-6);
  EXPECT_TRUE(std::isnan(student_t_cdf(1, 0)));
}

TEST(Inference, StudentTFarTailKeepsItsDigits) {
  // dof 1 (Cauchy): P(|T| >= t) = 1 - (2 / pi) atan(t) = (2 / pi) atan(1 / t) for t > 0.
  for (double t : {10.0, 1e3, 1e6})
    EXPECT_NEAR(student_t_two_sided_p(t, 1) / ((2 / M_PI) * std::atan(1 / t)), 1, 1e-12) << t;
  // dof 2: P(|T| >= t) = 1 - t / sqrt(2 + t^2) = 2 / (sqrt(2 + t^2) (sqrt(2 + t^2) + t)).
  for (double t : {3.0, 300.0}) {
    double r = std::sqrt(2 + t * t);
    EXPECT_NEAR(student_t_two_sided_p(t, 2) / (2 / (r * (r + t))), 1, 1e-12) << t;
  }
  EXPECT_EQ(student_t_two_sided_p(INFINITY, 4), 0);
  EXPECT_EQ(student_t_cdf(-INFINITY, 4), 0);
  EXPECT_EQ(student_t_cdf(INFINITY, 4), 1);
}

TEST(Inference, OutsideTheDomainIsNanNotAThrow) {
  // Boost.Math throws std::domain_error by default; these functions answer NaN.
  EXPECT_TRUE(std::isnan(student_t_two_sided_p(NAN, 3)));
  EXPECT_TRUE(std::isnan(student_t_two_sided_p(2, 0)));
  EXPECT_TRUE(std::isnan(student_t_two_sided_p(2, -1)));
  EXPECT_TRUE(std::isnan(student_t_two_sided_p(2, NAN)));
  EXPECT_TRUE(std::isnan(student_t_cdf(NAN, 3)));
  EXPECT_TRUE(std::isnan(student_t_cdf(1, -2)));
  EXPECT_TRUE(std::isnan(student_t_critical(0.05, 0)));
  EXPECT_TRUE(std::isnan(student_t_critical(0.05, NAN)));
  EXPECT_TRUE(std::isnan(student_t_critical(0, 5)));
  EXPECT_TRUE(std::isnan(student_t_critical(1, 5)));
  EXPECT_TRUE(std::isnan(student_t_critical(1.5, 5)));
  EXPECT_TRUE(std::isnan(student_t_critical(NAN, 5)));
  // Infinite dof is the normal distribution, not an error: z(0.975) = 1.959964.
  EXPECT_NEAR(student_t_critical(0.05, INFINITY), 1.959964, 1e-6);
}

TEST(Inference, CriticalValuesOfTheTTable) {
  // t(0.975, dof) from any t table.
  EXPECT_NEAR(student_t_critical(0.05, 1), 12.7062, 5e-4);
  EXPECT_NEAR(student_t_critical(0.05, 2), 4.3027, 5e-4);
  EXPECT_NEAR(student_t_critical(0.05, 4), 2.7764, 5e-4);
  EXPECT_NEAR(student_t_critical(0.05, 7), 2.3646, 5e-4);
  EXPECT_NEAR(student_t_critical(0.05, 10), 2.2281, 5e-4);
  EXPECT_NEAR(student_t_critical(0.05, 30), 2.0423, 5e-4);
  EXPECT_NEAR(student_t_critical(0.01, 5), 4.0321, 5e-4);
  for (double dof : {1.5, 3.0, 24.99})
    EXPECT_NEAR(student_t_two_sided_p(student_t_critical(0.05, dof), dof), 0.05, 1e-12) << dof;
}

TEST(Inference, MeanIntervalNeedsTwoNetworks) {
  Interval ci = mean_interval(summarize({0.60, 0.62, 0.64, 0.66}));
  // mean 0.63, std sqrt(0.002/3), t(0.975, 3) = 3.1824.
  double half = 3.18245 * std::sqrt(0.002 / 3) / 2;
  EXPECT_NEAR(ci.low, 0.63 - half, 1e-5);
  EXPECT_NEAR(ci.high, 0.63 + half, 1e-5);
  EXPECT_TRUE(mean_interval(summarize({0.6})).empty());
  EXPECT_TRUE(mean_interval(summarize({})).empty());
  Interval flat = mean_interval(summarize({0.5, 0.5}));
  EXPECT_DOUBLE_EQ(flat.low, 0.5);
  EXPECT_DOUBLE_EQ(flat.high, 0.5);
}

}  // namespace
}  // namespace xfer
