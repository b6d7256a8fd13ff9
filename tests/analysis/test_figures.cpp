// test_figures.cpp: the figures are actually written, as non-empty PNG, SVG
// and (where gnuplot has pdfcairo) PDF files under their final names with no
// temporaries left, with one and with two data sets, each with its CSV data and
// a script that redraws it from its folder; a failing gnuplot is an error, not
// a silent success.
#include "analysis/figures.h"

#include <gtest/gtest.h>

#include "analysis/figure_file.h"
#include "fixtures.h"

namespace xfer {
namespace {

using namespace xfer::testing;

bool have_gnuplot() { return std::system("gnuplot --version >/dev/null 2>&1") == 0; }

Dataset make(const std::string& name, double shift) {
  Dataset ds;
  ds.name = name;
  auto add = [&](const std::string& id, double v) {
    NetRun r;
    r.cell_id = id;
    r.cell = *parse_cell_id(id);
    r.curve = {{1000, v - 0.1}, {2000, v}};
    ds.runs.emplace(id, r);
  };
  for (const char* b : {"half0-A-base", "half0-B-base", "half1-A-base"}) add(b, 0.62 + shift);
  for (int n = 1; n <= 7; ++n) {
    add("half0-AB-n" + std::to_string(n) + "-frozen", 0.62 - 0.01 * n + shift);
    add("half0-AA-n" + std::to_string(n) + "-frozen", 0.62 - 0.005 * n + shift);
    add("half0-AB-n" + std::to_string(n) + "-finetune", 0.64 + shift);
    add("natman-AB-n" + std::to_string(n) + "-frozen", 0.5 - 0.02 * n + shift);
    add("all-random-n" + std::to_string(n), 0.4 / n + shift);
  }
  add("natman-A-base", 0.65 + shift);
  add("natman-B-base", 0.54 + shift);
  add("all-base", 0.58 + shift);
  add("all-base-k10", 0.2 + shift);
  add("all-base-k100", 0.45 + shift);
  return ds;
}

bool have_pdfcairo() {
  return std::system("gnuplot -e \"print GPVAL_TERMINALS\" 2>&1 | grep -q pdfcairo") == 0;
}

const char* const kFigureNames[] = {"transfer", "transfer_effects", "paired_effects", "dissimilar", "relative", "reduced"};

void expect_figures(const fs::path& dir, const std::vector<fs::path>& written) {
  std::vector<std::string> images = {".png", ".svg"};
  if (have_pdfcairo()) images.push_back(".pdf");
  EXPECT_EQ(written.size(), std::size(kFigureNames) * (3 + images.size()));
  for (const char* name : kFigureNames) {
    for (const auto& ext : images) {
      fs::path p = dir / (std::string(name) + ext);
      ASSERT_TRUE(fs::exists(p)) << p;
      EXPECT_GT(fs::file_size(p), 1000u) << p;
    }
    for (const char* kept : {".gp", "_nets.csv", "_means.csv"})
      EXPECT_TRUE(fs::exists(dir / (std::string(name) + kept))) << name << kept;
    std::ifstream png(dir / (std::string(name) + ".png"), std::ios::binary);
    char magic[4] = {};
    png.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG");
    EXPECT_NE(read_file(dir / (std::string(name) + ".svg")).find("<svg"), std::string::npos);
    if (images.size() == 3) {
      EXPECT_EQ(read_file(dir / (std::string(name) + ".pdf")).rfind("%PDF", 0), 0u) << name;
    }
  }
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << "temporary left behind: " << e.path();
}

// The figures of make("ours", 0) by the paper's statistic, drawn into `dir`.
std::vector<fs::path> draw_ours(const fs::path& dir) {
  Dataset ds = make("ours", 0);
  Diagnostics diag;
  return write_figures({&ds}, {dir, Statistic::Top10}, diag);
}

TEST(Figures, WritesPngAndSvg) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot not installed (apt-get install gnuplot-nox)";
  TempDir tmp;
  auto written = draw_ours(tmp.path());
  expect_figures(tmp.path(), written);
}

TEST(Figures, TwoDataSetsOnOneFigure) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot not installed (apt-get install gnuplot-nox)";
  TempDir tmp;
  Dataset ours = make("ours", 0), paper = make("paper", 0.01);
  Diagnostics diag;
  auto written = write_figures({&ours, &paper}, {tmp.path(), Statistic::Best}, diag);
  expect_figures(tmp.path(), written);
  std::string text = read_file(tmp.path() / "transfer.svg");
  EXPECT_NE(text.find("ours AnB"), std::string::npos);
  EXPECT_NE(text.find("paper AnB"), std::string::npos);
  std::string nets = read_file(tmp.path() / "transfer_nets.csv");
  EXPECT_NE(nets.find("\nours,AnB,half0-AB-n3-frozen,3,"), std::string::npos) << nets;
  EXPECT_NE(nets.find("\npaper,AnB,half0-AB-n3-frozen,3,"), std::string::npos) << nets;
}

TEST(Figures, GnuplotFailureThrowsAndLeavesNothing) {
  TempDir tmp;
  Dataset ds = make("ours", 0);
  Diagnostics diag;
  FigureOptions opt{tmp.path(), Statistic::Top10, "false"};
  EXPECT_THROW(write_figures({&ds}, opt, diag), std::runtime_error);
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(Figures, KeptScriptRedrawsFromItsFolder) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot not installed (apt-get install gnuplot-nox)";
  TempDir tmp;
  draw_ours(tmp.path());
  for (const char* name : kFigureNames) {
    SCOPED_TRACE(name);
    std::string script = read_file(tmp.path() / (std::string(name) + ".gp"));
    EXPECT_EQ(script.find(tmp.path().string()), std::string::npos) << "absolute path in the kept script";
    EXPECT_NE(script.find("nets = '" + std::string(name) + "_nets.csv'"), std::string::npos) << script;
    for (const char* ext : {".png", ".svg", ".pdf"}) fs::remove(tmp.path() / (std::string(name) + ext));
    Outcome r = run_command("cd " + tmp.path().string() + " && gnuplot " + name + ".gp");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_GT(fs::file_size(tmp.path() / (std::string(name) + ".png")), 1000u);
    EXPECT_GT(fs::file_size(tmp.path() / (std::string(name) + ".svg")), 1000u);
    if (have_pdfcairo()) {
      EXPECT_GT(fs::file_size(tmp.path() / (std::string(name) + ".pdf")), 1000u);
    }
  }
}

TEST(Figures, CsvHoldsEveryNetworkAndTheIntervals) {
  FigureSpec f;
  f.name = "x";
  // The interval is the caller's (group_accuracy_interval, a paired one): drawn as given.
  add_series(f, "ours", "BnB", "BnB", {"#000000"}, {{"half0-AA-n1-frozen", 1, 0.9, 0.6}, {"half0-BB-n1-frozen", 1, 0.9, 0.64}},
             {{1, 0.9, summarize({0.6, 0.64}), Interval{0.3658759, 0.8741240}}});
  EXPECT_EQ(f.nets_rows, "ours,BnB,half0-AA-n1-frozen,1,0.9,0.6\nours,BnB,half0-BB-n1-frozen,1,0.9,0.64\n");
  EXPECT_EQ(f.means_rows.rfind("ours,BnB,1,0.9,0.62,0.0282842712,2,", 0), 0u) << f.means_rows;
  EXPECT_NE(f.means_rows.find(",0.3658759"), std::string::npos) << f.means_rows;
  EXPECT_NE(f.means_rows.find(",0.874124"), std::string::npos) << f.means_rows;
  ASSERT_EQ(f.clauses.size(), 3u);  // points, mean line, interval bars
  EXPECT_NE(f.clauses[2].find("yerrorbars"), std::string::npos);
  EXPECT_NE(f.clauses[1].find("title 'BnB'"), std::string::npos);
  // One network, one mean: drawn, but not named in the legend; no bar (no interval).
  add_series(f, "ours", "lonely", "lonely", {"#000000"}, {{"all-random-n1", 1, 1, 0.4}}, {{1, 1, summarize({0.4})}});
  ASSERT_EQ(f.clauses.size(), 5u);
  EXPECT_NE(f.clauses[4].find("notitle"), std::string::npos) << f.clauses[4];
  EXPECT_EQ(f.means_rows.substr(f.means_rows.rfind("ours,lonely")), "ours,lonely,1,1,0.4,NaN,1,NaN,NaN\n");
  EXPECT_EQ(f.legend_entries, 1);
  std::string script = figure_script(f);
  EXPECT_NE(script.find("set key below"), std::string::npos);  // not outside right, where it narrows the plot
  EXPECT_NE(script.find("nets = 'x_nets.csv'"), std::string::npos);
  // The y axis fits the values and the bars (0.366 .. 0.874, a 5% margin): a bar is never cut by the frame.
  EXPECT_NE(script.find("set yrange [0.340463495:0.899536405]"), std::string::npos) << script;
}

TEST(Figures, AxisLabelLegendAndEffects) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot not installed (apt-get install gnuplot-nox)";
  TempDir tmp;
  draw_ours(tmp.path());
  for (const char* name : {"transfer", "transfer_effects", "dissimilar", "reduced"})
    EXPECT_NE(read_file(tmp.path() / (std::string(name) + ".gp")).find("set ylabel 'top-1 accuracy'\n"), std::string::npos) << name;
  std::string effects = read_file(tmp.path() / "transfer_effects.gp");
  // Curves {v - 0.1, v} have top10 v - 0.05. BnB falls 0.005 a layer and AnB 0.01 from a 0.57
  // base: both gaps largest at n = 7; AnB+ (0.59 everywhere) beats the base first at n = 1;
  // there is no BnB+, so effect 2 is not marked.
  EXPECT_NE(effects.find("set label 1 '1' at 6.85,0.535 "), std::string::npos) << effects;
  EXPECT_NE(effects.find("set label 3 '3' at 7.05,0.5 "), std::string::npos) << effects;
  EXPECT_NE(effects.find("set label 4 '4' at 1.15,0.59 "), std::string::npos) << effects;
  EXPECT_EQ(effects.find("set label 2 "), std::string::npos) << effects;
  // The halves' random-filter control has no networks here: no such series, no legend entry.
  std::string dis = read_file(tmp.path() / "dissimilar.gp");
  EXPECT_EQ(dis.find("halves"), std::string::npos) << dis;
  EXPECT_NE(dis.find("title 'random filters'"), std::string::npos) << dis;
}

TEST(Figures, NothingToDrawIsAWarning) {
  TempDir tmp;
  Dataset empty;
  empty.name = "ours";
  Diagnostics diag;
  auto written = write_figures({&empty}, {tmp.path(), Statistic::Top10}, diag);
  EXPECT_TRUE(written.empty());
  EXPECT_TRUE(diag.mentions("figure 'transfer' has no networks"));
}

}  // namespace
}  // namespace xfer
