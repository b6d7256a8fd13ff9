// test_effects.cpp: the paper's effects as paired differences over units
// (analysis/effects.h): each network against its own target's base, never a
// pool of unlike tasks; units, Holm over n, the sign-flip p and the verdicts;
// the selffers against their own continued base (ours).
#include "analysis/effects.h"

#include <gtest/gtest.h>

#include "fixtures.h"

#include <cmath>

#include "analysis/tables.h"

namespace xfer {
namespace {

Dataset make(const std::vector<std::pair<std::string, double>>& nets) { return testing::constant_runs("ours", nets); }

// Two unlike tasks (half0's A at 0.967, B at 0.860) and their selffers, each
// 0.005 above its own base: the pooled groups differ by the task spread, the
// paired differences are exact.
TEST(Effects, EachNetworkAgainstItsOwnBaseAndTooFewToTest) {
  Dataset ds = make({{"half0-A-base", 0.967}, {"half0-B-base", 0.860}, {"half0-AA-n3-frozen", 0.972},
                     {"half0-BB-n3-frozen", 0.865}});
  Diagnostics diag;
  const auto by_n = effect_by_n(ds, Statistic::Top10, Effect::BnBvsBase, &diag);
  ASSERT_EQ(by_n.size(), 7u);
  const EffectAtN& at3 = by_n[2];
  ASSERT_EQ(at3.differences.size(), 2u);
  EXPECT_NEAR(at3.differences[0], 0.005, 1e-12);
  EXPECT_NEAR(at3.differences[1], 0.005, 1e-12);
  EXPECT_EQ(at3.test.status, PairedStatus::too_few_units);
  EXPECT_TRUE(std::isnan(at3.holm));
  EXPECT_EQ(verdict(at3).rfind("too few to test (2 units", 0), 0u) << verdict(at3);
  // The table says so in the row, with no interval and no p.
  const Table t = effects_table({&ds}, Statistic::Top10, diag);
  bool found = false;
  for (const auto& row : t.rows)
    if (row[0].text == "BnB − baseB" && row[1].number == 3) {
      found = true;
      EXPECT_EQ(row[2].number, 2);
      EXPECT_EQ(row[4].kind, Entry::Kind::Missing);
      EXPECT_EQ(row[6].kind, Entry::Kind::Missing);
      EXPECT_NE(row[9].text.find("too few to test"), std::string::npos);
    }
  EXPECT_TRUE(found);
}

// Four units (two splits, both directions): the paired t-test, Holm over the
// seven n (only n = 2 has units, so Holm's m is 1), and the sign-flip p that
// cannot go below 0.125 with four units.
TEST(Effects, FourUnitsArePairedAndTested) {
  Dataset ds = make({{"half0-A-base", 0.90}, {"half0-B-base", 0.80}, {"half1-A-base", 0.85}, {"half1-B-base", 0.70},
                     {"half0-BA-n2-frozen", 0.89}, {"half0-AB-n2-frozen", 0.78},
                     {"half1-BA-n2-frozen", 0.82}, {"half1-AB-n2-frozen", 0.66}});
  Diagnostics diag;
  const EffectAtN at = effect_by_n(ds, Statistic::Top10, Effect::AnBvsBase, &diag)[1];
  // Differences -0.01, -0.02, -0.03, -0.04: mean -0.025, sd 0.0129099, t = -3.873, p = 0.030466 (dof 3).
  ASSERT_EQ(at.test.n, 4);
  EXPECT_NEAR(at.test.mean, -0.025, 1e-12);
  EXPECT_NEAR(at.test.p, 0.030466, 1e-5);
  EXPECT_NEAR(at.holm, at.test.p, 1e-12);
  EXPECT_NEAR(at.sign_flip, 0.125, 1e-12);
  EXPECT_TRUE(at.seen());
  EXPECT_EQ(verdict(at).rfind("seen (-0.0250, 95% CI", 0), 0u) << verdict(at);
  const Table t = effects_table({&ds}, Statistic::Top10, diag);
  bool said = false;
  for (const auto& note : t.notes) said |= note.find("With 4 units the sign-flip p cannot go below 0.125") != std::string::npos;
  EXPECT_TRUE(said);
}

// A significant difference says whether it has the paper's sign: a selffer
// above its base is the reverse of fragile co-adaptation, and fine-tuned
// selffers off their base are a difference where the paper expects none.
TEST(Effects, TheVerdictSaysWhetherTheSignIsThePapers) {
  Dataset ds = make({{"half0-A-base", 0.90}, {"half0-B-base", 0.80}, {"half1-A-base", 0.85}, {"half1-B-base", 0.70},
                     {"half0-AA-n2-frozen", 0.91}, {"half0-BB-n2-frozen", 0.82},
                     {"half1-AA-n2-frozen", 0.88}, {"half1-BB-n2-frozen", 0.74},
                     {"half0-AA-n2-finetune", 0.91}, {"half0-BB-n2-finetune", 0.82},
                     {"half1-AA-n2-finetune", 0.88}, {"half1-BB-n2-finetune", 0.74}});
  Diagnostics diag;
  const EffectAtN above = effect_by_n(ds, Statistic::Top10, Effect::BnBvsBase, &diag)[1];
  ASSERT_TRUE(above.seen());
  EXPECT_EQ(verdict(above).rfind("the reverse seen (+0.0250", 0), 0u) << verdict(above);
  const EffectAtN off = effect_by_n(ds, Statistic::Top10, Effect::BnBPlusvsBase, &diag)[1];
  ASSERT_TRUE(off.seen());
  EXPECT_EQ(verdict(off).rfind("a difference seen (+0.0250", 0), 0u) << verdict(off);
}

// A transfer whose own base is missing (diverged, or never run) is left out of
// the effect, said in one line, and the unit count drops.
TEST(Effects, AUnitWithoutItsBaseIsLeftOutAndNamed) {
  Dataset ds = make({{"half0-A-base", 0.90}, {"half1-A-base", 0.85}, {"half1-B-base", 0.70},
                     {"half0-BA-n2-frozen", 0.89}, {"half0-AB-n2-frozen", 0.78}, {"half1-AB-n2-frozen", 0.66}});
  Diagnostics diag;
  const EffectAtN at = effect_by_n(ds, Statistic::Top10, Effect::AnBvsBase, &diag)[1];
  EXPECT_EQ(at.test.n, 2);
  const std::string report = diag.report();
  EXPECT_NE(report.find("half0 B seed 0 has no baseB of its own: left out of AnB − baseB"), std::string::npos)
      << report;
}

// The continued base (ours): each half base trained for one more schedule.
// A selffer is compared with its own unit's continued base, which takes out
// the lift of training its copied layers twice.
TEST(Effects, SelffersAgainstTheirOwnContinuedBase) {
  EXPECT_TRUE(in_group(*parse_cell_id("half0-A-base-continued"), Group::ContinuedB, 0));
  EXPECT_FALSE(in_group(*parse_cell_id("half0-A-base-continued"), Group::BaseB, 0));
  EXPECT_FALSE(in_group(*parse_cell_id("half0-A-base"), Group::ContinuedB, 0));
  EXPECT_FALSE(in_group(*parse_cell_id("dissim-A-base-continued"), Group::ContinuedB, 0));
  EXPECT_TRUE(is_split_continued(*parse_cell_id("dissim-B-base-continued-s1"), "dissim", 'B'));
  EXPECT_FALSE(is_split_continued(*parse_cell_id("dissim-B-base-s1"), "dissim", 'B'));
  EXPECT_FALSE(is_split_base(*parse_cell_id("dissim-B-base-continued"), "dissim", 'B'));

  // Three units; each base short of its plateau, its continued base higher, the
  // selffers above their bases but not above their continued bases.
  Dataset ds = make({{"half0-A-base", 0.90}, {"half0-B-base", 0.80}, {"half1-A-base", 0.85},
                     {"half0-A-base-continued", 0.91}, {"half0-B-base-continued", 0.82},
                     {"half1-A-base-continued", 0.86},
                     {"half0-AA-n3-frozen", 0.915}, {"half0-BB-n3-frozen", 0.81}, {"half1-AA-n3-frozen", 0.865},
                     {"half0-AA-n3-finetune", 0.912}, {"half0-BB-n3-finetune", 0.821},
                     {"half1-AA-n3-finetune", 0.861}});
  Diagnostics diag;
  const EffectAtN over_base = effect_by_n(ds, Statistic::Top10, Effect::BnBvsBase, &diag)[2];
  ASSERT_EQ(over_base.test.n, 3);
  EXPECT_NEAR(over_base.test.mean, (0.015 + 0.01 + 0.015) / 3, 1e-12);
  const EffectAtN bnb = effect_by_n(ds, Statistic::Top10, Effect::BnBvsContinued, &diag)[2];
  ASSERT_EQ(bnb.test.n, 3);
  ASSERT_EQ(bnb.units, (std::vector<std::string>{"half0 A seed 0", "half0 B seed 0", "half1 A seed 0"}));
  EXPECT_NEAR(bnb.differences[0], 0.005, 1e-12);
  EXPECT_NEAR(bnb.differences[1], -0.01, 1e-12);
  EXPECT_NEAR(bnb.differences[2], 0.005, 1e-12);
  EXPECT_NEAR(bnb.test.mean, 0.0, 1e-12);
  EXPECT_FALSE(bnb.seen());
  const EffectAtN plus = effect_by_n(ds, Statistic::Top10, Effect::BnBPlusvsContinued, &diag)[2];
  ASSERT_EQ(plus.test.n, 3);
  EXPECT_NEAR(plus.differences[0], 0.002, 1e-12);
  EXPECT_NEAR(plus.differences[1], 0.001, 1e-12);
  EXPECT_NEAR(plus.differences[2], 0.001, 1e-12);
  EXPECT_TRUE(effect_by_n(ds, Statistic::Top10, Effect::BnBvsContinued, &diag)[3].differences.empty());
  EXPECT_EQ(diag.report().find("continued"), std::string::npos) << diag.report();

  // The effects table prints them, with their note and meanings.
  const Table t = effects_table({&ds}, Statistic::Top10, diag);
  int rows = 0;
  for (const auto& row : t.rows)
    if (row[0].text == "BnB − continued base" || row[0].text == "BnB+ − continued base") {
      ++rows;
      EXPECT_EQ(row[1].number, 3);
      EXPECT_EQ(row[2].number, 3);
    }
  EXPECT_EQ(rows, 2);
  bool noted = false;
  for (const auto& note : t.notes) noted |= note.rfind("BnB − continued base: below 0", 0) == 0;
  EXPECT_TRUE(noted);

  // A unit whose continued base is missing, where others have one: left out, said.
  Dataset gap = ds;
  gap.runs.erase("half1-A-base-continued");
  Diagnostics gap_diag;
  EXPECT_EQ(effect_by_n(gap, Statistic::Top10, Effect::BnBvsContinued, &gap_diag)[2].test.n, 2);
  EXPECT_NE(gap_diag.report().find("half1 A seed 0 has no continued base of its own"), std::string::npos)
      << gap_diag.report();
}

// Data without continued bases (the paper's): no rows, no notes, no warnings.
TEST(Effects, NoContinuedBasesNoRowsAndNoWarnings) {
  Dataset ds = make({{"half0-A-base", 0.967}, {"half0-B-base", 0.860}, {"half0-AA-n3-frozen", 0.972},
                     {"half0-BB-n3-frozen", 0.865}});
  Diagnostics diag;
  for (const EffectAtN& at : effect_by_n(ds, Statistic::Top10, Effect::BnBvsContinued, &diag))
    EXPECT_EQ(at.test.n, 0);
  const Table t = effects_table({&ds}, Statistic::Top10, diag);
  for (const auto& row : t.rows) EXPECT_EQ(row[0].text.find("continued"), std::string::npos) << row[0].text;
  for (const auto& note : t.notes) EXPECT_EQ(note.find("continued"), std::string::npos) << note;
  EXPECT_EQ(diag.report().find("continued"), std::string::npos) << diag.report();
}

// Units of one effect trained with different schedules are not compared: the
// effect there is refused, naming both cells and what their tests show.
TEST(Effects, UnitsOfDifferentSchedulesAreRefusedNamingBoth) {
  Dataset ds = make({{"half0-A-base", 0.90}, {"half0-B-base", 0.80}, {"half1-A-base", 0.85},
                     {"half0-BA-n2-frozen", 0.89}, {"half0-AB-n2-frozen", 0.78}, {"half1-BA-n2-frozen", 0.82}});
  ds.runs.at("half1-BA-n2-frozen").curve = {{500, 0.82}, {1000, 0.82}, {1500, 0.82}};
  Diagnostics diag;
  const EffectAtN at = effect_by_n(ds, Statistic::Top10, Effect::AnBvsBase, &diag)[1];
  EXPECT_FALSE(at.refused.empty());
  EXPECT_FALSE(at.seen());
  EXPECT_TRUE(std::isnan(at.test.p));
  EXPECT_NE(at.refused.find("(tests every 1000 to 2000)"), std::string::npos) << at.refused;
  EXPECT_NE(at.refused.find("half1-BA-n2-frozen (tests every 500 to 1500)"), std::string::npos) << at.refused;
  EXPECT_EQ(verdict(at).rfind("refused: trained with different schedules", 0), 0u) << verdict(at);
  EXPECT_NE(diag.report().find("AnB − baseB n=2 refused"), std::string::npos) << diag.report();
  // The other n, whose networks share a schedule, are unaffected; so is a
  // network whose log kept only its last tests of the same schedule.
  EXPECT_TRUE(effect_by_n(ds, Statistic::Top10, Effect::AnBvsBase, &diag)[0].refused.empty());
  ds.runs.at("half1-BA-n2-frozen").curve = {{2000, 0.82}};
  ds.runs.at("half0-AB-n2-frozen").curve = {{1000, 0.78}, {2000, 0.78}};
  ds.runs.at("half1-BA-n2-frozen").curve = {{1000, 0.82}, {2000, 0.82}};
  ds.runs.at("half0-BA-n2-frozen").curve = {{0, 0.89}, {1000, 0.89}, {2000, 0.89}};
  EXPECT_TRUE(effect_by_n(ds, Statistic::Top10, Effect::AnBvsBase, nullptr)[1].refused.empty());
}

}  // namespace
}  // namespace xfer
