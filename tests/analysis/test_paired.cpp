// test_paired.cpp: paired t, the sign-flip test, Holm's adjustment and the
// accuracy intervals, against cases worked by hand (in the comments), published
// values (Fisher's randomization of Darwin's pairs, Newcombe's Wilson
// intervals) and a plain enumeration of the sign-flip test.
#include "analysis/paired.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <stdexcept>

namespace xfer {
namespace {

// ---------------------------------------------------------------------------
// Paired t

TEST(PairedT, FourDifferencesByHand) {
  // d = {1, 2, 3, 4}: mean 2.5; deviations -1.5 -0.5 0.5 1.5, squares sum to 5,
  // variance 5 / 3, sd 1.290994; se = sd / sqrt(4) = 0.645497;
  // t = 2.5 / 0.645497 = 3.872983 (= sqrt(15)); dof 3.
  // p: for dof 3, P(|T| >= t) = 1 - (2/pi) (atan(x) + x / (1 + x^2)), x = t / sqrt(3)
  //    = sqrt(5) = 2.236068: atan 1.150262, x / 6 = 0.372678, so p = 1 - 0.969534 = 0.030466.
  // CI: t(0.975, 3) = 3.182446; half 3.182446 * 0.645497 = 2.054260: 0.445740 .. 4.554260.
  PairedTest r = paired_test({1, 2, 3, 4});
  EXPECT_EQ(r.status, PairedStatus::tested);
  EXPECT_TRUE(r.tested());
  EXPECT_EQ(r.n, 4);
  EXPECT_DOUBLE_EQ(r.mean, 2.5);
  EXPECT_NEAR(r.std, 1.290994, 1e-6);
  EXPECT_DOUBLE_EQ(r.dof, 3);
  EXPECT_NEAR(r.t, std::sqrt(15.0), 1e-12);
  double x = std::sqrt(5.0);
  EXPECT_NEAR(r.p, 1 - (2 / M_PI) * (std::atan(x) + x / (1 + x * x)), 1e-12);
  EXPECT_NEAR(r.p, 0.030466, 1e-6);
  EXPECT_NEAR(r.interval.low, 0.445740, 1e-6);
  EXPECT_NEAR(r.interval.high, 4.554260, 1e-6);
}

TEST(PairedT, SignAndLevelFollowTheArguments) {
  PairedTest neg = paired_test({-1, -2, -3, -4});
  EXPECT_NEAR(neg.t, -std::sqrt(15.0), 1e-12);
  EXPECT_NEAR(neg.p, paired_test({1, 2, 3, 4}).p, 1e-15);
  EXPECT_NEAR(neg.interval.high, -0.445740, 1e-6);
  // 99%: t(0.995, 3) = 5.840909; half 5.840909 * 0.645497 = 3.770289.
  PairedTest r99 = paired_test({1, 2, 3, 4}, 0.99);
  EXPECT_NEAR(r99.interval.low, 2.5 - 3.770289, 1e-5);
  EXPECT_NEAR(r99.interval.high, 2.5 + 3.770289, 1e-5);
}

TEST(PairedT, TooFewToTest) {
  // Two units: the mean is a number, but there is no interval and no test.
  PairedTest two = paired_test({0.01, 0.03});
  EXPECT_EQ(two.status, PairedStatus::too_few_units);
  EXPECT_FALSE(two.tested());
  EXPECT_EQ(two.n, 2);
  EXPECT_DOUBLE_EQ(two.mean, 0.02);
  EXPECT_TRUE(std::isnan(two.std));
  EXPECT_TRUE(std::isnan(two.dof));
  EXPECT_TRUE(two.interval.empty());
  EXPECT_TRUE(std::isnan(two.t));
  EXPECT_TRUE(std::isnan(two.p));
  EXPECT_EQ(paired_test({0.5}).status, PairedStatus::too_few_units);
  PairedTest none = paired_test({});
  EXPECT_EQ(none.n, 0);
  EXPECT_TRUE(std::isnan(none.mean));
}

TEST(PairedT, NoSpreadIsSaidNotDividedBy) {
  // 0.1 three times: the computed mean may differ from 0.1 in the last bit,
  // which would leave a std of 1e-17 and a t of 1e16; equality is tested instead.
  PairedTest flat = paired_test({0.1, 0.1, 0.1});
  EXPECT_EQ(flat.status, PairedStatus::no_spread);
  EXPECT_EQ(flat.mean, 0.1);
  EXPECT_EQ(flat.std, 0);
  EXPECT_TRUE(std::isnan(flat.t));
  EXPECT_TRUE(std::isnan(flat.p));
  EXPECT_EQ(flat.interval.low, 0.1);
  EXPECT_EQ(flat.interval.high, 0.1);
  EXPECT_EQ(paired_test({0, 0, 0, 0}).status, PairedStatus::no_spread);
}

TEST(PairedT, RejectsWhatCannotBeData) {
  EXPECT_THROW(paired_test({1, NAN, 3}), std::invalid_argument);
  EXPECT_THROW(paired_test({1, INFINITY, 3}), std::invalid_argument);
  EXPECT_THROW(paired_test({1, 2, 3}, 1.0), std::invalid_argument);
  EXPECT_THROW(paired_test({1, 2, 3}, 0.0), std::invalid_argument);
  EXPECT_THROW(paired_test({1, 2, 3}, NAN), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// Sign-flip randomization test

TEST(SignFlip, AllPositiveReachesTheFloor) {
  // All n differences of one sign: only that assignment and its mirror reach
  // the observed |mean|, so p = 2 / 2^n.
  EXPECT_DOUBLE_EQ(sign_flip_p({0.01, 0.02, 0.03, 0.04}), 0.125);  // 2 / 16
  EXPECT_DOUBLE_EQ(sign_flip_p({0.01, 0.02, 0.03, 0.04, 0.05, 0.06}), 0.03125);  // 2 / 64
  EXPECT_DOUBLE_EQ(sign_flip_p({-0.01, -0.02, -0.03, -0.04}), 0.125);
  EXPECT_DOUBLE_EQ(sign_flip_min_p(4), 0.125);
  EXPECT_DOUBLE_EQ(sign_flip_min_p(5), 0.0625);
  EXPECT_DOUBLE_EQ(sign_flip_min_p(6), 0.03125);
  EXPECT_DOUBLE_EQ(sign_flip_min_p(1), 1);
  EXPECT_TRUE(std::isnan(sign_flip_min_p(0)));
  std::vector<double> twenty(20, 0.5);
  for (int i = 0; i < 20; ++i) twenty[i] += i;
  EXPECT_DOUBLE_EQ(sign_flip_p(twenty), sign_flip_min_p(20));
}

TEST(SignFlip, SixMixedByEnumeration) {
  // d = {3, 1, 4, 1, 5, -2}: observed sum 12. The magnitudes {1, 1, 2, 3, 4, 5}
  // sum to 16; negating a subset of total S gives the sum 16 - 2S, and
  // |16 - 2S| >= 12 iff S <= 2 or S >= 14. Subsets with S <= 2: {}, {1}, {1'},
  // {2}, {1, 1'}: 5; their complements have S >= 14: 5 more. p = 10 / 64 = 0.15625.
  EXPECT_DOUBLE_EQ(sign_flip_p({3, 1, 4, 1, 5, -2}), 0.15625);
}

TEST(SignFlip, FisherOnDarwinsPairs) {
  // Darwin's 15 Zea mays pairs, cross- minus self-fertilised height in eighths
  // of an inch (Fisher 1935, The Design of Experiments, sections 17 and 21):
  // the observed total is 314, and 863 of the 2^15 = 32768 sign assignments
  // reach it in each direction: two-sided p = 1726 / 32768 = 0.05267.
  std::vector<double> darwin{49, -67, 8, 16, 6, 23, 28, 41, 14, 29, 56, 24, 75, 60, -48};
  EXPECT_DOUBLE_EQ(sign_flip_p(darwin), 1726.0 / 32768);
  // The same in inches: a scale changes nothing.
  for (double& d : darwin) d /= 8;
  EXPECT_DOUBLE_EQ(sign_flip_p(darwin), 1726.0 / 32768);
}

TEST(SignFlip, TiesCountAsAtLeastAsLarge) {
  // d = {0.1, 0.2, 0.3, -0.3}: observed sum 0.3. Magnitudes total 0.9, a negated
  // subset of total S gives 0.9 - 2S, and |0.9 - 2S| >= 0.3 iff S <= 0.3 or
  // S >= 0.6: {}, {.1}, {.2}, {.3}, {.3'}, {.1, .2} and their six complements,
  // 12 of 16 = 0.75. Five of them equal 0.3 only up to rounding
  // (0.1 + 0.2 = 0.30000000000000004); all must count.
  EXPECT_DOUBLE_EQ(sign_flip_p({0.1, 0.2, 0.3, -0.3}), 0.75);
  // All zero: every assignment ties with the observed 0.
  EXPECT_DOUBLE_EQ(sign_flip_p({0, 0, 0}), 1);
}

// The formula, plainly: every sign assignment as a bit mask, each sum from scratch.
double plain_sign_flip_p(const std::vector<double>& d) {
  size_t n = d.size();
  double observed = 0, total = 0;
  for (double x : d) observed += x, total += std::fabs(x);
  uint64_t count = 0, all = uint64_t{1} << n;
  for (uint64_t mask = 0; mask < all; ++mask) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += (mask >> i & 1) ? -std::fabs(d[i]) : std::fabs(d[i]);
    count += std::fabs(s) >= std::fabs(observed) - 1e-9 * total;
  }
  return static_cast<double>(count) / all;
}

TEST(SignFlip, AgreesWithThePlainEnumeration) {
  std::mt19937 rng(7);
  std::normal_distribution<double> effect(0.004, 0.01);
  for (int n : {3, 5, 8, 12, 16}) {
    std::vector<double> d(n);
    for (double& x : d) x = effect(rng);
    EXPECT_DOUBLE_EQ(sign_flip_p(d), plain_sign_flip_p(d)) << n;
  }
}

TEST(SignFlip, TooFewOrTooMany) {
  EXPECT_TRUE(std::isnan(sign_flip_p({0.1, 0.2})));
  EXPECT_TRUE(std::isnan(sign_flip_p({})));
  EXPECT_THROW(sign_flip_p(std::vector<double>(kSignFlipMaxUnits + 1, 0.1)), std::invalid_argument);
  EXPECT_THROW(sign_flip_p({0.1, NAN, 0.2}), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// Holm

TEST(Holm, WorkedExample) {
  // p = {0.01, 0.04, 0.03, 0.005}, m = 4. Sorted: 0.005, 0.01, 0.03, 0.04, times
  // 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04; running maximum: 0.02, 0.03, 0.06, 0.06.
  // Back in the given order: {0.03, 0.06, 0.06, 0.02}.
  std::vector<double> a = holm_adjust({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(a.size(), 4u);
  EXPECT_NEAR(a[0], 0.03, 1e-15);
  EXPECT_NEAR(a[1], 0.06, 1e-15);
  EXPECT_NEAR(a[2], 0.06, 1e-15);
  EXPECT_NEAR(a[3], 0.02, 1e-15);
}

TEST(Holm, NanStaysOutAndOneIsTheCap) {
  // The NaN is no test: m = 2, so 0.01 -> 0.02 and 0.04 -> 0.04.
  std::vector<double> a = holm_adjust({0.01, NAN, 0.04});
  EXPECT_NEAR(a[0], 0.02, 1e-15);
  EXPECT_TRUE(std::isnan(a[1]));
  EXPECT_NEAR(a[2], 0.04, 1e-15);
  // 2 * 0.5 = 1 and 1 * 0.6 < 1, but monotone: both 1.
  std::vector<double> capped = holm_adjust({0.5, 0.6});
  EXPECT_EQ(capped[0], 1);
  EXPECT_EQ(capped[1], 1);
  EXPECT_TRUE(holm_adjust({}).empty());
  EXPECT_TRUE(std::isnan(holm_adjust({NAN})[0]));
  EXPECT_EQ(holm_adjust({0.2})[0], 0.2);  // one test: nothing to adjust
  EXPECT_THROW(holm_adjust({0.1, 1.5}), std::invalid_argument);
  EXPECT_THROW(holm_adjust({-0.1}), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// Wilson and the binomial standard error

TEST(Wilson, NewcombesExamples) {
  // Newcombe (1998), "Two-sided confidence intervals for the single proportion:
  // comparison of seven methods", Statistics in Medicine 17:857-872, the
  // Wilson score intervals of its examples (95%, 4 decimals).
  struct Case { double x, n, low, high; };
  for (Case c : {Case{81, 263, 0.2553, 0.3662}, Case{15, 148, 0.0624, 0.1605},
                 Case{0, 20, 0.0, 0.1611}, Case{1, 29, 0.0061, 0.1718}}) {
    Interval ci = wilson_interval(c.x, c.n);
    EXPECT_NEAR(ci.low, c.low, 5e-5) << c.x << "/" << c.n;
    EXPECT_NEAR(ci.high, c.high, 5e-5) << c.x << "/" << c.n;
  }
}

TEST(Wilson, EndsAreExactAndInside) {
  // x = 0 of 10: the upper root is z^2 / (n + z^2) = 3.841459 / 13.841459 = 0.277533.
  Interval zero = wilson_interval(0, 10);
  EXPECT_EQ(zero.low, 0);
  EXPECT_NEAR(zero.high, 0.277533, 1e-6);
  Interval all = wilson_interval(10, 10);
  EXPECT_EQ(all.high, 1);
  EXPECT_NEAR(all.low, 1 - 0.277533, 1e-6);
  for (double x : {0.0, 1.0, 49999.0, 50000.0}) {
    Interval ci = wilson_interval(x, 50000);
    EXPECT_GE(ci.low, 0);
    EXPECT_LE(ci.high, 1);
    EXPECT_LE(ci.low, x / 50000);
    EXPECT_GE(ci.high, x / 50000);
  }
  EXPECT_THROW(wilson_interval(11, 10), std::invalid_argument);
  EXPECT_THROW(wilson_interval(-1, 10), std::invalid_argument);
  EXPECT_THROW(wilson_interval(0, 0), std::invalid_argument);
  EXPECT_THROW(wilson_interval(NAN, 10), std::invalid_argument);
}

TEST(BinomialSe, ByHand) {
  // 0.6 on 50,000 images: sqrt(0.24 / 50000) = 0.0021909.
  EXPECT_NEAR(binomial_se(0.6, 50000), 0.0021909, 1e-7);
  EXPECT_EQ(binomial_se(1, 100), 0);
  EXPECT_THROW(binomial_se(1.2, 100), std::invalid_argument);
  EXPECT_THROW(binomial_se(0.5, 0), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// Logit t interval

TEST(LogitT, StaysInsideWhereThePlainIntervalDoesNot) {
  // {0.967, 0.860}: the plain t interval is 0.9135 +- 12.706 * 0.07566 / sqrt(2)
  // = 0.2337 .. 1.5933, above 1. On the logit scale: logit 3.37769 and 1.81529,
  // mean 2.59649, sd 1.10478, half 12.706 * 1.10478 / sqrt(2) = 9.92585, so
  // logistic(-7.32936) .. logistic(12.52234) = 0.000655 .. 0.999996.
  Interval plain = mean_interval(summarize({0.967, 0.860}));
  EXPECT_NEAR(plain.low, 0.2337, 1e-4);
  EXPECT_NEAR(plain.high, 1.5933, 1e-4);
  Interval two = logit_t_interval({0.967, 0.860});
  EXPECT_NEAR(two.low, 0.000655, 1e-6);
  EXPECT_NEAR(two.high, 0.999996, 1e-6);
  EXPECT_LT(two.high, 1);

  // {0.97, 0.99, 0.995}: plain 0.985 +- 4.3027 * 0.01323 / sqrt(3) = 0.9521 .. 1.0179;
  // logit: mean 4.45484, sd 0.91669, half 2.27715: 0.89823 .. 0.99881.
  Interval plain3 = mean_interval(summarize({0.97, 0.99, 0.995}));
  EXPECT_GT(plain3.high, 1);
  Interval three = logit_t_interval({0.97, 0.99, 0.995});
  EXPECT_NEAR(three.low, 0.89823, 1e-5);
  EXPECT_NEAR(three.high, 0.99881, 1e-5);
}

TEST(LogitT, ZeroAndOneAreMovedInside) {
  // 1 becomes 1 - 1e-6 (logit 13.8155): the interval is still inside (0, 1).
  Interval ci = logit_t_interval({1.0, 1.0, 0.99});
  EXPECT_GT(ci.low, 0);
  EXPECT_LT(ci.high, 1);
  EXPECT_LT(ci.low, 0.99);
  Interval low = logit_t_interval({0.0, 0.02, 0.01});
  EXPECT_GT(low.low, 0);
  EXPECT_LT(low.high, 1);
  // Half an image of 50,000 instead of the default epsilon moves 1 less far in.
  Interval half_image = logit_t_interval({1.0, 1.0, 0.99}, 0.95, 0.5 / 50000);
  EXPECT_LT(half_image.high, ci.high);
}

TEST(LogitT, EmptyBelowTwoAndAPointWithoutSpread) {
  EXPECT_TRUE(logit_t_interval({0.6}).empty());
  EXPECT_TRUE(logit_t_interval({}).empty());
  Interval flat = logit_t_interval({0.6, 0.6, 0.6});
  EXPECT_NEAR(flat.low, 0.6, 1e-15);
  EXPECT_NEAR(flat.high, 0.6, 1e-15);
  EXPECT_THROW(logit_t_interval({0.6, 1.2}), std::invalid_argument);
  EXPECT_THROW(logit_t_interval({0.6, NAN}), std::invalid_argument);
  EXPECT_THROW(logit_t_interval({0.6, 0.7}, 0.95, 0), std::invalid_argument);
}

}  // namespace
}  // namespace xfer
