// effects.h: the paper's effects as paired differences over independent units.
//
// A unit is one target task: a random split's target half under one replicate
// seed (split x target half x the grid's [grid] seeds). Every transfer network
// is compared with the base of its own unit (same split, same target half,
// same seed), never with a pool of other tasks' bases: the two halves of a
// split are different tasks of different difficulty, and pooling them makes the
// spread between tasks look like noise in the effect. An effect at n is then
// the mean of its units' differences, its interval and its test come from those
// differences (paired t, analysis/paired.h), and beside the t-test the exact
// sign-flip p, which needs no normality. Over the seven n of one effect the
// t-test's p is Holm-adjusted (Holm 1979); an effect is "seen" at n when the
// adjusted p is below 0.05. Fewer than kMinUnitsToTest units: "too few to
// test", no interval, no p.
//
// The two directions of one split and seed share networks (base A is AB's
// source and BA's target base): they count as two units, which are not
// independent; the tables say so.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "analysis/diagnostics.h"
#include "analysis/groups.h"
#include "analysis/paired.h"
#include "analysis/run.h"

namespace xfer {

// (split, target half, seed): a target task.
using UnitKey = std::tuple<std::string, char, int>;
std::string unit_name(const UnitKey& u);  // "half0 B seed 0"

// Each unit's statistic in group `g` at `n` (n ignored for BaseB): the mean of
// its networks there (one, in every grid here).
std::map<UnitKey, double> unit_values(const Dataset& ds, Statistic s, Group g, int n);

// The paper's effects, each "minuend minus subtrahend" per unit, and two of
// ours against the unit's continued base (same split, target half, seed), the
// fair reference for co-adaptation when bases are short of a plateau: a
// selffer's copied layers were trained twice, a base once. Data without
// continued bases (the paper's) gives those two no units, and no warnings.
enum class Effect {
  BnBvsBase,      // BnB − baseB: below 0, fragile co-adaptation
  BnBPlusvsBase,  // BnB+ − baseB: fine-tuning recovers what co-adaptation lost
  AnBvsBase,      // AnB − baseB: the drop of frozen transfer (co-adaptation + specificity)
  AnBPlusvsBase,  // AnB+ − baseB: above 0, transfer plus fine-tuning generalises better
  AnBvsBnB,       // AnB − BnB: below 0, the features are specific to their task
  BnBPlusvsBnB,   // BnB+ − BnB: fine-tuning recovers the co-adapted layers
  BnBvsContinued,      // BnB − continued base: co-adaptation with training time alike (ours)
  BnBPlusvsContinued,  // BnB+ − continued base: fine-tuning against a base trained as long (ours)
};
inline constexpr Effect kEffects[] = {Effect::BnBvsBase,      Effect::BnBPlusvsBase,     Effect::AnBvsBase,
                                      Effect::AnBPlusvsBase,  Effect::AnBvsBnB,          Effect::BnBPlusvsBnB,
                                      Effect::BnBvsContinued, Effect::BnBPlusvsContinued};
// Whether `e` is ours, against the continued base, rather than the paper's.
bool against_continued(Effect e);
const char* label(Effect e);    // "BnB − baseB"
const char* meaning(Effect e);  // what a seen effect of its expected sign means
// The sign the paper expects of `e`: -1 below 0, +1 above 0, 0 level with 0.
int expected_sign(Effect e);

// One effect at one n.
struct EffectAtN {
  int n = 0;
  std::vector<std::string> units;  // unit names, in the order of `differences`
  std::vector<double> differences;
  PairedTest test;
  double sign_flip = NAN;  // exact two-sided sign-flip p (NaN below kMinUnitsToTest)
  double holm = NAN;       // test.p Holm-adjusted over the n of this effect
  // Not tested because its networks were trained with different schedules:
  // the two cells and their schedules ("" when it was not refused).
  std::string refused;
  int expected = 0;  // expected_sign() of its effect
  // A difference from 0 under the decision rule (Holm p below 0.05), of
  // whichever sign: verdict() says whether it is the paper's.
  bool seen() const { return refused.empty() && holm < 0.05; }
};

// `e` at n = 1..ds.layers in `ds`. A unit whose base (or other
// reference) is missing is left out, and with `diag` said in one line. The
// networks of one effect at one n must share a schedule (the iterations of
// their tests): otherwise the effect there is refused, naming two cells of
// different schedules, and not tested.
std::vector<EffectAtN> effect_by_n(const Dataset& ds, Statistic s, Effect e, Diagnostics* diag);

// "seen (+0.0123, 95% CI +0.0040..+0.0206, p 0.012)", "not seen here (...)",
// or "too few to test (2 units)": the words a figure or table gives an effect.
std::string verdict(const EffectAtN& e);

}  // namespace xfer
