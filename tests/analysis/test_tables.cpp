// test_tables.cpp: tables from small hand-made data sets: group membership,
// empty groups left empty (not zero) and warned about, side-by-side columns,
// and the three renderings.
#include "analysis/tables.h"

#include <gtest/gtest.h>

#include "fixtures.h"

#include <cmath>
#include <tuple>

#include "analysis/groups.h"
#include "analysis/paired.h"

namespace xfer {
namespace {

Dataset make(const std::string& name, const std::vector<std::pair<std::string, double>>& nets) {
  return testing::constant_runs(name, nets);
}

const std::vector<Entry>* find_row(const Table& t, const std::vector<std::string>& labels) {
  for (const auto& row : t.rows) {
    bool ok = true;
    for (size_t i = 0; i < labels.size(); ++i) {
      const Entry& e = row[i];
      std::string s = e.kind == Entry::Kind::Text ? e.text : std::to_string(static_cast<int>(e.number));
      ok &= s == labels[i];
    }
    if (ok) return &row;
  }
  return nullptr;
}

TEST(Groups, Membership) {
  auto c = [](const char* id) { return *parse_cell_id(id); };
  EXPECT_TRUE(in_group(c("half2-B-base"), Group::BaseB, 0));
  EXPECT_FALSE(in_group(c("natman-B-base"), Group::BaseB, 0));
  EXPECT_FALSE(in_group(c("all-base"), Group::BaseB, 0));
  EXPECT_TRUE(in_group(c("half0-AA-n3-frozen"), Group::BnB, 3));
  EXPECT_FALSE(in_group(c("half0-AA-n3-frozen"), Group::BnB, 4));
  EXPECT_TRUE(in_group(c("half1-BB-n2-finetune"), Group::BnBPlus, 2));
  EXPECT_TRUE(in_group(c("half0-BA-n7-frozen"), Group::AnB, 7));
  EXPECT_TRUE(in_group(c("half0-AB-n1-finetune"), Group::AnBPlus, 1));
  EXPECT_FALSE(in_group(c("natman-AB-n1-frozen"), Group::AnB, 1));
  EXPECT_TRUE(is_dissimilar_split("natman"));
  EXPECT_TRUE(is_dissimilar_split("dissim"));
  EXPECT_FALSE(is_dissimilar_split("half3"));
  EXPECT_FALSE(is_dissimilar_split("all"));
  EXPECT_EQ(half_label("dissim", 'A'), "upper-body");
}

TEST(Tables, MainTableEmptyGroupsStayEmptyAndAreNamed) {
  Dataset ds = make("ours", {{"half0-A-base", 0.60}, {"half0-B-base", 0.62}, {"half1-A-base", 0.64},
                             {"half0-AB-n1-frozen", 0.58}, {"half0-BA-n1-frozen", 0.56}});
  Diagnostics diag;
  Table t = main_table({&ds}, Statistic::Top10, diag);
  ASSERT_EQ(t.rows.size(), 29u);
  auto base = find_row(t, {"baseB", "0"});
  ASSERT_TRUE(base);
  EXPECT_NEAR((*base)[2].number, 0.62, 1e-12);
  EXPECT_NEAR((*base)[3].number, 0.02, 1e-12);
  EXPECT_EQ((*base)[4].number, 3);
  auto anb1 = find_row(t, {"AnB", "1"});
  EXPECT_NEAR((*anb1)[2].number, 0.57, 1e-12);
  auto bnb5 = find_row(t, {"BnB", "5"});
  EXPECT_EQ((*bnb5)[2].kind, Entry::Kind::Missing);  // never 0
  EXPECT_EQ((*bnb5)[4].number, 0);
  EXPECT_TRUE(diag.mentions("ours: no networks for BnB n=5"));
  std::string md = render(t, Format::Markdown);
  EXPECT_NE(md.find("| BnB | 5 | — | — | 0 | — | — |\n"), std::string::npos) << md;
  std::string csv = render(t, Format::Csv);
  EXPECT_NE(csv.find("BnB,5,,,0,,\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("group,n,mean,std,count,95% CI low,95% CI high\n"), std::string::npos);
  std::string tex = render(t, Format::Latex);
  EXPECT_NE(tex.find("\\begin{tabular}{lrrrrrr}"), std::string::npos) << tex;
  EXPECT_NE(tex.find("BnB & 5 & -- & -- & 0 & -- & -- \\\\"), std::string::npos);
}

TEST(Tables, GroupsTheGridNeverHadAreAbsentNotMissing) {
  // A grid of half0's bases and its frozen AnB at n = 1..2 only.
  Dataset ds = make("ours", {{"half0-A-base", 0.60}, {"half0-B-base", 0.62}, {"half0-AB-n1-frozen", 0.58}});
  ds.planned = std::vector<Cell>{};
  for (const char* id : {"half0-A-base", "half0-B-base", "half0-AB-n1-frozen", "half0-AB-n2-frozen"})
    ds.planned->push_back(*parse_cell_id(id));
  Diagnostics diag;
  all_tables({&ds}, Statistic::Top10, diag);
  EXPECT_TRUE(diag.mentions("ours: no networks for AnB n=2")) << diag.report();  // planned, not there
  for (const char* absent : {"BnB", "AnB+", "reduced", "dissimilar", "random"})
    EXPECT_FALSE(diag.mentions(std::string("no networks for ") + absent)) << absent << "\n" << diag.report();
  EXPECT_FALSE(diag.mentions("no reduced-volume networks")) << diag.report();
  EXPECT_FALSE(diag.mentions("no dissimilar split")) << diag.report();
  // Without a known grid every group of the paper is expected.
  ds.planned.reset();
  Diagnostics all;
  all_tables({&ds}, Statistic::Top10, all);
  EXPECT_TRUE(all.mentions("ours: no networks for BnB n=3")) << all.report();
  EXPECT_TRUE(all.mentions("no reduced-volume networks")) << all.report();
}

TEST(Tables, UnfinishedCellsNamedUnderMainTable) {
  Dataset ds = make("ours", {{"half0-A-base", 0.60}});
  ds.unfinished = {"half0-B-base"};
  Diagnostics diag;
  std::string md = render(main_table({&ds}, Statistic::Top10, diag), Format::Markdown);
  EXPECT_NE(md.find("ours: 1 unfinished cell(s), not used: half0-B-base"), std::string::npos) << md;
}

TEST(Tables, CompareAddsColumnsAndDifference) {
  Dataset ours = make("ours", {{"half0-A-base", 0.60}});
  Dataset paper = make("paper", {{"half0-A-base", 0.55}, {"half0-B-base", 0.65}});
  Diagnostics diag;
  Table t = main_table({&ours, &paper}, Statistic::Top10, diag);
  ASSERT_EQ(t.headers.size(), 2u + 3 + 3 + 1 + 2 + 2);  // the intervals after the difference
  EXPECT_EQ(t.headers[9], "ours 95% CI low");
  EXPECT_EQ(t.headers[12], "paper 95% CI high");
  EXPECT_EQ(t.headers[2], "ours mean");
  EXPECT_EQ(t.headers[5], "paper mean");
  const auto& row = t.rows[0];
  EXPECT_NEAR(row[8].number, 0.0, 1e-12);
  EXPECT_EQ(row[8].kind, Entry::Kind::Delta);
  EXPECT_NE(render(t, Format::Markdown).find("+0.0000"), std::string::npos);
}

TEST(Tables, BoostDecompositionRelativeRandomReduced) {
  Dataset ds = make("x", {{"half0-A-base", 0.60}, {"half0-B-base", 0.62},
                          {"half0-AA-n5-finetune", 0.61}, {"half0-AB-n5-finetune", 0.65},
                          {"half0-AB-n6-finetune", 0.67}, {"half0-AB-n2-finetune", 0.50},
                          {"half0-AA-n2-frozen", 0.59}, {"half0-AB-n2-frozen", 0.55},
                          {"natman-A-base", 0.66}, {"natman-B-base", 0.54}, {"natman-BA-n2-frozen", 0.60},
                          {"all-base", 0.58}, {"all-random-n1", 0.49}, {"all-base-k25", 0.3},
                          {"all-base-k5", 0.1}});
  Diagnostics diag;
  Table b = boost_table({&ds}, Statistic::Top10, diag);
  auto r57 = find_row(b, {"5-7"});
  EXPECT_NEAR((*r57)[1].number, 0.66, 1e-12);
  EXPECT_EQ((*r57)[2].number, 2);
  EXPECT_NEAR((*r57)[3].number, 0.66 - 0.61, 1e-12);
  EXPECT_NEAR((*r57)[4].number, 0.66 - 0.61, 1e-12);
  auto r17 = find_row(b, {"1-7"});
  EXPECT_NEAR((*r17)[1].number, (0.65 + 0.67 + 0.50) / 3, 1e-12);

  Table d = decomposition_table({&ds}, Statistic::Top10, diag);
  auto n2 = find_row(d, {"2"});
  EXPECT_NEAR((*n2)[1].number, 0.61 - 0.59, 1e-12);
  EXPECT_NEAR((*n2)[2].number, 0.59 - 0.55, 1e-12);
  EXPECT_NEAR((*n2)[3].number, 0.61 - 0.55, 1e-12);
  EXPECT_EQ((*find_row(d, {"3"}))[1].kind, Entry::Kind::Missing);

  Table rel = relative_table({&ds}, Statistic::Top10, diag);
  EXPECT_NEAR((*find_row(rel, {"random", "2"}))[2].number, 0.55 - 0.62, 1e-12);  // AB minus half0-B-base
  EXPECT_NEAR((*find_row(rel, {"natman", "2"}))[2].number, 0.60 - 0.66, 1e-12);  // BA minus natural base
  EXPECT_NEAR((*find_row(rel, {"random filters", "1"}))[2].number, 0.49 - 0.58, 1e-12);
  EXPECT_EQ((*find_row(rel, {"random filters", "2"}))[2].kind, Entry::Kind::Missing);

  Table dis = dissimilar_table({&ds}, Statistic::Top10, diag);
  EXPECT_NEAR((*find_row(dis, {"natman", "natural", "base", "0"}))[4].number, 0.66, 1e-12);
  EXPECT_NEAR((*find_row(dis, {"natman", "natural", "AnB", "2"}))[4].number, 0.60, 1e-12);
  EXPECT_EQ((*find_row(dis, {"natman", "man-made", "AnB", "2"}))[4].kind, Entry::Kind::Missing);

  Table rnd = random_table({&ds}, Statistic::Top10, diag);
  EXPECT_NEAR((*find_row(rnd, {"all", "base", "0"}))[3].number, 0.58, 1e-12);
  EXPECT_NEAR((*find_row(rnd, {"all", "random", "1"}))[3].number, 0.49, 1e-12);
  EXPECT_EQ((*find_row(rnd, {"all", "random", "2"}))[3].kind, Entry::Kind::Missing);

  Table red = reduced_table({&ds}, Statistic::Top10, diag);
  ASSERT_EQ(red.rows.size(), 2u);
  EXPECT_EQ(red.rows[0][0].number, 5);
  EXPECT_NEAR(red.rows[1][1].number, 0.3, 1e-12);
}

TEST(Tables, EveryGroupHasItsInterval) {
  Dataset ds = make("x", {{"half0-A-base", 0.60}, {"half0-B-base", 0.62}, {"half1-A-base", 0.64},
                          {"half0-AB-n1-frozen", 0.58}, {"natman-A-base", 0.66}, {"all-base-k25", 0.3},
                          {"all-base", 0.5}, {"all-random-n1", 0.4}, {"half0-BA-n2-frozen", 0.5},
                          {"half0-AB-n2-frozen", 0.54}});
  Diagnostics diag;
  // baseB 0.60, 0.62, 0.64: the t interval of their logits, t(0.975, 2) = 4.30265,
  // mapped back: inside (0, 1) whatever the spread.
  Table t = main_table({&ds}, Statistic::Top10, diag);
  ASSERT_EQ(t.headers[5], "95% CI low");
  auto base = find_row(t, {"baseB", "0"});
  auto logit = [](double a) { return std::log(a / (1 - a)); };
  auto logistic = [](double x) { return 1 / (1 + std::exp(-x)); };
  const double l[] = {logit(0.60), logit(0.62), logit(0.64)};
  const double lm = (l[0] + l[1] + l[2]) / 3;
  const double ls = std::sqrt(((l[0] - lm) * (l[0] - lm) + (l[1] - lm) * (l[1] - lm) + (l[2] - lm) * (l[2] - lm)) / 2);
  EXPECT_NEAR((*base)[5].number, logistic(lm - 4.30265 * ls / std::sqrt(3.0)), 1e-5);
  EXPECT_NEAR((*base)[6].number, logistic(lm + 4.30265 * ls / std::sqrt(3.0)), 1e-5);
  // One network: a mean, and no interval (not a zero-width one).
  auto anb1 = find_row(t, {"AnB", "1"});
  EXPECT_EQ((*anb1)[2].kind, Entry::Kind::Value);
  EXPECT_EQ((*anb1)[5].kind, Entry::Kind::Missing);
  EXPECT_EQ((*anb1)[6].kind, Entry::Kind::Missing);
  // The other tables that hold groups carry the same two columns, last.
  for (const Table& other : {dissimilar_table({&ds}, Statistic::Top10, diag), random_table({&ds}, Statistic::Top10, diag),
                             relative_table({&ds}, Statistic::Top10, diag), reduced_table({&ds}, Statistic::Top10, diag)}) {
    ASSERT_GE(other.headers.size(), 2u) << other.name;
    EXPECT_EQ(other.headers[other.headers.size() - 2], "95% CI low") << other.name;
    EXPECT_EQ(other.headers.back(), "95% CI high") << other.name;
    EXPECT_NE(render(other, Format::Markdown).find("95% CI"), std::string::npos) << other.name;
  }
  // relative n=2: AB 0.54 - 0.62 and BA 0.50 - 0.60, two differences of two
  // tasks: a mean, and too few for an interval.
  const Table relative = relative_table({&ds}, Statistic::Top10, diag);
  auto rel = find_row(relative, {"random", "2"});
  ASSERT_NE(rel, nullptr);
  EXPECT_NEAR((*rel)[2].number, -0.09, 1e-12);
  EXPECT_EQ((*rel)[5].kind, Entry::Kind::Missing);
}

// The pooled baseB of two unlike tasks (0.967 and 0.860) had the interval
// 0.236 .. 1.591: two networks now give none, and no accuracy interval of any
// group leaves [0, 1].
TEST(Tables, NoAccuracyIntervalLeavesZeroToOne) {
  Dataset two = make("x", {{"half0-A-base", 0.967}, {"half0-B-base", 0.860}});
  Diagnostics diag;
  const Table t2 = main_table({&two}, Statistic::Top10, diag);
  auto base = find_row(t2, {"baseB", "0"});
  ASSERT_NE(base, nullptr);
  EXPECT_EQ((*base)[5].kind, Entry::Kind::Missing);
  EXPECT_EQ((*base)[6].kind, Entry::Kind::Missing);
  Dataset three = make("x", {{"half0-A-base", 0.967}, {"half0-B-base", 0.860}, {"half1-A-base", 0.999}});
  const Table t3 = main_table({&three}, Statistic::Top10, diag);
  auto b3 = find_row(t3, {"baseB", "0"});
  ASSERT_NE(b3, nullptr);
  EXPECT_GT((*b3)[5].number, 0);
  EXPECT_LT((*b3)[6].number, 1);
}

// Table 1's tests are over units (target tasks), each unit's AnB+ minus its own
// base averaged over the n of the range: three units, boosts 0.05, 0.04, 0.06
// (mean 0.05, sd 0.01, t = 0.05 / (0.01 / sqrt 3) = 8.660, dof 2, p = 0.01307).
TEST(Tables, Table1PairedOverUnits) {
  Dataset ds = make("x", {{"half0-A-base", 0.60}, {"half0-B-base", 0.62}, {"half1-A-base", 0.70},
                          {"half0-BA-n5-finetune", 0.65}, {"half0-AB-n6-finetune", 0.66},
                          {"half1-BA-n5-finetune", 0.74}, {"half1-BA-n7-finetune", 0.78},
                          {"half0-AA-n5-finetune", 0.61}});
  Diagnostics diag;
  Table b = boost_table({&ds}, Statistic::Top10, diag);
  ASSERT_EQ(b.headers.size(), 14u);
  EXPECT_EQ(b.headers[8], "p over baseB");
  EXPECT_EQ(b.headers[9], "p over BnB+");
  EXPECT_EQ(b.headers[10], "units over baseB");
  EXPECT_EQ(b.title.find("Table 1:"), std::string::npos);  // LaTeX numbers its own captions
  auto r57 = find_row(b, {"5-7"});
  ASSERT_NE(r57, nullptr);
  // The paper's pooled boost is kept: AnB+ {0.65, 0.66, 0.74, 0.78} minus baseB {0.60, 0.62, 0.70}.
  EXPECT_NEAR((*r57)[3].number, (0.65 + 0.66 + 0.74 + 0.78) / 4 - (0.60 + 0.62 + 0.70) / 3, 1e-12);
  // Units: half0 A (0.65 - 0.60), half0 B (0.66 - 0.62), half1 A ((0.74 + 0.78) / 2 - 0.70).
  EXPECT_EQ((*r57)[10].number, 3);
  EXPECT_NEAR((*r57)[11].number, (0.05 + 0.04 + 0.06) / 3, 1e-12);
  EXPECT_EQ((*r57)[8].kind, Entry::Kind::Probability);
  EXPECT_NEAR((*r57)[8].number, 0.0130718, 1e-6);
  // Over BnB+: only half0 A has both at n = 5: one unit, too few to test.
  EXPECT_EQ((*r57)[12].number, 1);
  EXPECT_EQ((*r57)[9].kind, Entry::Kind::Missing);
  std::string md = render(b, Format::Markdown);
  EXPECT_NE(md.find("paired t-test over units"), std::string::npos);
  EXPECT_EQ(md.find("Welch"), std::string::npos);
}

// The decomposition's p-values are the effects table's paired tests; two
// units (one split, both directions) are too few.
TEST(Tables, DecompositionPairedOverUnits) {
  Dataset ds = make("x", {{"half0-A-base", 0.60}, {"half0-B-base", 0.62}, {"half1-A-base", 0.64},
                          {"half0-AA-n2-frozen", 0.58}, {"half0-BB-n2-frozen", 0.56}, {"half1-AA-n2-frozen", 0.61},
                          {"half0-BA-n2-frozen", 0.50}, {"half0-AB-n2-frozen", 0.52}, {"half1-BA-n2-frozen", 0.55}});
  Diagnostics diag;
  Table d = decomposition_table({&ds}, Statistic::Top10, diag);
  ASSERT_EQ(d.headers.size(), 7u);
  auto n2 = find_row(d, {"2"});
  ASSERT_NE(n2, nullptr);
  // Co-adaptation per unit: 0.02, 0.06, 0.03; specificity: 0.08, 0.04, 0.06.
  EXPECT_NEAR((*n2)[4].number, paired_test({-0.02, -0.06, -0.03}).p, 1e-12);
  EXPECT_NEAR((*n2)[5].number, paired_test({-0.08, -0.04, -0.06}).p, 1e-12);
  EXPECT_EQ((*n2)[6].number, 3);
  EXPECT_EQ((*find_row(d, {"3"}))[4].kind, Entry::Kind::Missing);
}

// Each network's own error: sqrt(p (1 - p) / images) of its statistic, and the
// paper's statistic against the final test.
TEST(Tables, UncertaintyOfEachNetwork) {
  Dataset ds;
  ds.name = "x";
  for (const auto& [id, first, last] : {std::tuple{"half0-A-base", 0.90, 0.96}, std::tuple{"half0-B-base", 0.80, 0.84}}) {
    NetRun r;
    r.cell_id = id;
    r.cell = *parse_cell_id(id);
    for (int i = 0; i < 11; ++i) r.curve.push_back({1000 * (i + 1), first + (last - first) * i / 10, NAN, NAN, 1024});
    if (std::string(id) == "half0-A-base") r.full_test = CurvePoint{11000, 0.95, NAN, 0.2, 5000};
    ds.runs.emplace(id, r);
  }
  Diagnostics diag;
  const Table t = uncertainty_table({&ds}, Statistic::Final, diag);
  auto base = find_row(t, {"baseB"});
  ASSERT_NE(base, nullptr);
  EXPECT_EQ((*base)[1].number, 2);
  EXPECT_EQ((*base)[2].number, 1024);
  // SE of 0.96 and 0.84 on 1,024 images: 0.006124 and 0.011456; median their mean.
  EXPECT_NEAR((*base)[3].number, (std::sqrt(0.96 * 0.04 / 1024) + std::sqrt(0.84 * 0.16 / 1024)) / 2, 1e-12);
  EXPECT_NEAR((*base)[4].number, std::sqrt(0.84 * 0.16 / 1024), 1e-12);
  // Rising curves: the best 10 of 11 are the last 10, whose mean is below the last: 0.933 - 0.96 and 0.822 - 0.84.
  EXPECT_NEAR((*base)[5].number, -(0.027 + 0.018) / 2, 1e-9);
  // Against the full test: only half0 A has one; 0.933 - 0.95.
  EXPECT_EQ((*base)[8].number, 1);
  EXPECT_NEAR((*base)[9].number, 0.933 - 0.95, 1e-9);

  // Each network alone: its statistic's Wilson interval on the images of one
  // test (0.96 of 1,024: 0.9466 .. 0.9702 by the score formula), its full test.
  const Table nets = networks_table({&ds}, Statistic::Final, diag);
  auto a = find_row(nets, {"half0-A-base"});
  ASSERT_NE(a, nullptr);
  EXPECT_NEAR((*a)[1].number, 0.96, 1e-12);
  EXPECT_EQ((*a)[2].number, 1024);
  const double z = 1.959963984540054, n = 1024, p = 0.96;
  const double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
  const double half = z / (1 + z * z / n) * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
  EXPECT_NEAR((*a)[3].number, centre - half, 1e-9);
  EXPECT_NEAR((*a)[4].number, centre + half, 1e-9);
  EXPECT_NEAR((*a)[5].number, 0.95, 1e-12);
  EXPECT_EQ((*a)[6].number, 5000);
  EXPECT_NEAR((*a)[7].number, 0.96 - 0.95, 1e-12);
  auto b = find_row(nets, {"half0-B-base"});
  ASSERT_NE(b, nullptr);
  EXPECT_EQ((*b)[5].kind, Entry::Kind::Missing);
}

TEST(Tables, SmallPValuesAreNotPrintedAsZero) {
  Table t{"p", "p", {"what", "p"}, {{Entry::of_text("a"), Entry::probability(3.2e-7)}}, {}};
  EXPECT_NE(render(t, Format::Markdown).find("| a | 3.2e-07 |"), std::string::npos) << render(t, Format::Markdown);
  EXPECT_NE(render(t, Format::Csv).find("a,3.2e-07"), std::string::npos);
  t.rows[0][1] = Entry::probability(0.02137);
  EXPECT_NE(render(t, Format::Markdown).find("| a | 0.0214 |"), std::string::npos);
  EXPECT_EQ(Entry::probability(NAN).kind, Entry::Kind::Missing);
}

TEST(Tables, HalfRandomFiltersAgainstHalfBases) {
  Dataset ds = make("x", {{"half0-A-base", 0.60}, {"half0-B-base", 0.62}, {"half0-B-random-n2", 0.40}});
  Diagnostics diag;
  Table rnd = random_table({&ds}, Statistic::Top10, diag);
  // Against the base of the half it ran on (half0 B, 0.62), not every half's (0.61).
  EXPECT_NEAR((*find_row(rnd, {"half", "base", "0"}))[3].number, 0.62, 1e-12);
  EXPECT_NEAR((*find_row(rnd, {"half", "random", "2"}))[3].number, 0.40, 1e-12);
  EXPECT_EQ((*find_row(rnd, {"all", "base", "0"}))[3].kind, Entry::Kind::Missing);
  Table rel = relative_table({&ds}, Statistic::Top10, diag);
  EXPECT_NEAR((*find_row(rel, {"random filters", "2"}))[2].number, 0.40 - 0.62, 1e-12);
}

TEST(Tables, MissingCellsListed) {
  Dataset ds = make("x", {{"half0-A-base", 0.6}});
  auto missing = missing_cells(ds, {"half0-A-base", "half0-B-base"});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0], "half0-B-base");
}

}  // namespace
}  // namespace xfer
