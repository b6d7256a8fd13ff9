// paired.h: the statistics of an effect measured as paired differences (a
// network against its own base: same split, same half, same seed), and of one
// network's accuracy. Pure functions, no I/O: the tables decide what to print
// from what these return.
//
// The rules they follow (STYLE.md, "Reporting an answer"):
//  - uncertainty comes from independent units, one difference per unit; with
//    fewer than kMinUnitsToTest units there is no interval and no p-value;
//  - an accuracy interval stays inside [0, 1] (wilson_interval,
//    logit_t_interval);
//  - several p-values read together are adjusted together (holm_adjust).
//
// Arguments that cannot be data (a level outside (0, 1), a non-finite
// difference, an accuracy outside [0, 1], more successes than trials) throw
// std::invalid_argument: they are bugs or corrupt input, not results.
#pragma once

#include <vector>

#include "analysis/inference.h"  // Interval, Student's t

namespace xfer {

// Fewer independent units than this: no interval, no test. Two units give one
// degree of freedom (t(0.975, 1) = 12.7, an interval wide enough to say
// nothing) and a sign-flip p of at least 0.5.
inline constexpr int kMinUnitsToTest = 3;

// ---------------------------------------------------------------------------
// Paired t

enum class PairedStatus {
  tested,         // n >= kMinUnitsToTest and some spread: every field is set
  too_few_units,  // n < kMinUnitsToTest: only n and mean are set
  no_spread,      // every difference equal: std 0, t undefined, p NaN; the
                  // interval is the single point mean (as mean_interval's)
};

struct PairedTest {
  PairedStatus status = PairedStatus::too_few_units;
  int n = 0;          // units (differences)
  double mean = NAN;  // mean difference; NaN only when n == 0
  double std = NAN;   // sample standard deviation (divisor n - 1)
  double dof = NAN;   // n - 1
  Interval interval;  // mean +- t(1 - (1 - level) / 2, n - 1) * std / sqrt(n)
  double t = NAN;     // mean / (std / sqrt(n)), against a true mean of 0
  double p = NAN;     // two-sided, P(|T| >= |t|) with n - 1 dof
  bool tested() const { return status == PairedStatus::tested; }
};

// The one-sample t test of the mean of `differences` against 0, with the t
// interval of that mean at `level` (Student 1908; the paired test is the
// one-sample test of the differences). The differences must be finite.
PairedTest paired_test(const std::vector<double>& differences, double level = 0.95);

// ---------------------------------------------------------------------------
// Sign-flip randomization test

// Most units sign_flip_p enumerates exactly (2^24 sign assignments).
inline constexpr int kSignFlipMaxUnits = 24;

// The exact two-sided randomization p-value of the mean of `differences`
// (Fisher 1935, The Design of Experiments, section 21, on Darwin's 15 pairs;
// Pitman 1937): under "no effect" each difference was as likely to come out
// with the other sign, so all 2^n sign assignments are equally likely, and p is
// the share of them whose |mean| is at least the observed |mean|. The observed
// assignment always counts, so p >= sign_flip_min_p(n). A sum short of the
// observed |sum| by less than 1e-9 times the summed |differences| counts as a
// tie (at least as large), so rounding cannot split equal sums.
// NaN for n < kMinUnitsToTest; throws std::invalid_argument above
// kSignFlipMaxUnits units or for a non-finite difference. Assumes nothing
// about the differences' distribution but symmetry under no effect.
double sign_flip_p(const std::vector<double>& differences);

// The smallest p sign_flip_p can return with n units: 2 / 2^n (the observed
// assignment and its mirror image). 4 units: 0.125, 5: 0.0625, 6: 0.03125. With
// 5 units or fewer no result can reach 0.05, whatever the data. NaN for n < 1.
double sign_flip_min_p(int n);

// ---------------------------------------------------------------------------
// Several tests at once

// Holm's (1979) step-down adjusted p-values, in the order given: with the m
// non-NaN p-values sorted, p_(1) <= ... <= p_(m), the adjusted p_(i) is
// max over j <= i of min(1, (m - j + 1) p_(j)). Rejecting where the adjusted p
// <= alpha controls the family-wise error rate at alpha under any dependence.
// NaN entries (tests that were not made) stay NaN and do not count in m.
std::vector<double> holm_adjust(const std::vector<double>& p);

// ---------------------------------------------------------------------------
// One network's accuracy

// The Wilson (1927) score interval of a proportion: `successes` correct of
// `trials` images, z the normal quantile of level:
//   (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n).
// Always inside [0, 1] (0 exactly at 0 successes, 1 at all of them). Needs
// trials > 0 and 0 <= successes <= trials (a count need not be an integer: an
// accuracy times the images it was measured on).
Interval wilson_interval(double successes, double trials, double level = 0.95);

// sqrt(a (1 - a) / trials): the standard error of an accuracy `a` measured on
// `trials` images, the test set's sampling error of one network's number (not
// the spread between networks). Needs a in [0, 1] and trials > 0.
double binomial_se(double accuracy, double trials);

// ---------------------------------------------------------------------------
// A group's mean accuracy

// An accuracy of exactly 0 or 1 has no logit; logit_t_interval moves it this far
// inside. Pass 0.5 / images instead to move it half an image (the empirical
// logit's convention).
inline constexpr double kLogitEpsilon = 1e-6;

// The t interval of the mean of the accuracies' logits, log(a / (1 - a)), at
// `level` with n - 1 dof, mapped back by the logistic function: an interval for
// the group's typical accuracy that never leaves (0, 1), where the plain t
// interval of two networks at 0.967 and 0.860 reaches 1.59. Its centre is the
// back-transformed mean logit, not the arithmetic mean accuracy. Accuracies of
// exactly 0 or 1 are first moved to `epsilon` or 1 - `epsilon`. Empty for fewer
// than 2 accuracies (the product rule of kMinUnitsToTest is the caller's);
// the single point for zero spread. (A bound nearer 0 or 1 than a double
// resolves, e.g. beyond logit +-37, comes back as 0 or 1.) Throws std::invalid_argument for an
// accuracy outside [0, 1] or NaN, or epsilon outside (0, 0.5).
Interval logit_t_interval(const std::vector<double>& accuracies, double level = 0.95,
                          double epsilon = kLogitEpsilon);

// The 95% interval the tables and figures give a group's mean accuracy:
// logit_t_interval, and none below kMinUnitsToTest networks (two networks,
// often two unlike tasks, say nothing a reader should take as an interval).
Interval group_accuracy_interval(const std::vector<double>& accuracies);

}  // namespace xfer
