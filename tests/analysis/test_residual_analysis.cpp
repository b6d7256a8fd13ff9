// test_residual_analysis.cpp: results of a residual network through the
// analysis: n counts the network's stages and is labelled by them, each value
// of the bn axis is its own data set (never pooled), and results of two
// networks in one tree are refused.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "analysis/figures.h"
#include "analysis/groups.h"
#include "analysis/results_dir.h"
#include "analysis/tables.h"
#include "fixtures.h"

namespace xfer {
namespace {

using namespace xfer::testing;

nlohmann::json residual_result(const std::string& id, double top1, const std::string& preset = "resnet-small") {
  nlohmann::json j = result_json(id, std::vector<double>(4, top1));
  j["preset"] = preset;
  return j;
}

// half0's two bases, and BnB at every stage with the copied batch
// normalisation frozen (0.8) and trained (0.6).
void write_residual_grid(const fs::path& dir) {
  write_result(dir, residual_result("half0-A-base", 0.9));
  write_result(dir, residual_result("half0-B-base", 0.9));
  for (int n = 1; n <= 4; ++n)
    for (char t : {'A', 'B'}) {
      const std::string cell = std::string("half0-") + t + t + "-n" + std::to_string(n) + "-frozen";
      write_result(dir, residual_result(cell + "-bnfrozen", 0.8));
      write_result(dir, residual_result(cell + "-bntrain", 0.6));
    }
}

const Table& find_table(const std::vector<Table>& tables, const std::string& name) {
  for (const Table& t : tables)
    if (t.name == name) return t;
  throw std::runtime_error("no table " + name);
}

TEST(ResidualAnalysis, NetworkComesFromTheResultsAndNCountsItsStages) {
  TempDir tmp;
  write_residual_grid(tmp.path());
  Diagnostics diag;
  const Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  EXPECT_EQ(diag.error_count(), 0) << diag.report();
  EXPECT_EQ(ds.network, "resnet-small");
  EXPECT_EQ(ds.layers, 4);
  EXPECT_EQ(ds.stages, (std::vector<std::string>{"stem", "layer1", "layer2", "layer3"}));
  EXPECT_EQ(layer_label({&ds}, 2), "2 (layer1)");

  Dataset caffenet;  // the paper's logs, and results of CaffeNet-shaped nets: n counts layers
  EXPECT_EQ(caffenet.layers, 7);
  EXPECT_EQ(layer_label({&caffenet}, 2), "2");
  Dataset r18;
  r18.set_network("resnet18");
  EXPECT_EQ(r18.layers, 5);
  EXPECT_EQ(r18.stages.back(), "layer4");
  Dataset small;
  small.set_network("small");
  EXPECT_EQ(small.layers, 7);
  EXPECT_TRUE(small.stages.empty());
}

// Frozen and trained batch normalisation are two data sets sharing the bases:
// a group of one never holds a network of the other.
TEST(ResidualAnalysis, EachBatchNormValueIsItsOwnDataSet) {
  TempDir tmp;
  write_residual_grid(tmp.path());
  Diagnostics diag;
  const std::vector<Dataset> sets = split_by_batch_norm(read_results_dir(tmp.path(), "ours", diag));
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].name, "ours-bnfrozen");
  EXPECT_EQ(sets[1].name, "ours-bntrain");
  for (const Dataset& d : sets) {
    EXPECT_EQ(d.runs.size(), 2u + 8u) << d.name;  // the bases and its own 8
    EXPECT_EQ(d.layers, 4);
    const double want = d.bn == "frozen" ? 0.8 : 0.6;
    for (int n = 1; n <= 4; ++n)
      for (double v : d.values(Statistic::Top10, [n](const Cell& c) { return in_group(c, Group::BnB, n); }))
        EXPECT_DOUBLE_EQ(v, want) << d.name << " n=" << n;
  }
  // One value only: the data set keeps its name and says which.
  TempDir one;
  write_result(one.path(), residual_result("half0-A-base", 0.9));
  write_result(one.path(), residual_result("half0-AA-n2-frozen-bntrain", 0.7));
  const std::vector<Dataset> single = split_by_batch_norm(read_results_dir(one.path(), "ours", diag));
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].name, "ours");
  EXPECT_EQ(single[0].bn, "train");
}

TEST(ResidualAnalysis, TablesAndFiguresRunToTheLastStageAndNameIt) {
  TempDir tmp;
  write_residual_grid(tmp.path());
  Diagnostics diag;
  const std::vector<Dataset> sets = split_by_batch_norm(read_results_dir(tmp.path(), "ours", diag));
  const Sources src{&sets[0]};
  const std::vector<Table> tables = all_tables(src, Statistic::Top10, diag);
  const Table& main = find_table(tables, "main");
  std::vector<std::string> bnb;
  for (const auto& row : main.rows)
    if (row[0].text == "BnB") bnb.push_back(row[1].text);
  EXPECT_EQ(bnb, (std::vector<std::string>{"1 (stem)", "2 (layer1)", "3 (layer2)", "4 (layer3)"}));
  const std::string text = render(main, Format::Markdown);
  EXPECT_NE(text.find("batch normalisation frozen"), std::string::npos) << text;
  const Table& boost = find_table(tables, "table1");
  ASSERT_EQ(boost.rows.size(), 2u);  // 1-4 and 3-4: no range starts beyond the last stage
  EXPECT_EQ(boost.rows[0][0].text, "1-4");
  EXPECT_EQ(boost.rows[1][0].text, "3-4");
  const Table& effects = find_table(tables, "effects");
  for (const auto& row : effects.rows) EXPECT_NE(row[1].text.find("("), std::string::npos) << row[1].text;

  const FigureOptions fo{tmp.path() / "figures", Statistic::Top10};
  fs::create_directories(fo.out_dir);
  try {
    write_figures(src, fo, diag);
  } catch (const std::exception& e) {
    GTEST_SKIP() << "gnuplot: " << e.what();
  }
  std::ifstream gp(fo.out_dir / "transfer.gp");
  std::stringstream script;
  script << gp.rdbuf();
  EXPECT_NE(script.str().find("set xrange [0-0.5:4.5]"), std::string::npos) << script.str();
  EXPECT_NE(script.str().find("\"2\\nlayer1\" 2"), std::string::npos) << script.str();
}

// The bn axis as pairs: each cell with its batch normalisation trained minus
// the same cell frozen, tested over the pairs, by group and n; a cell without
// its twin is no pair.
TEST(ResidualAnalysis, TheBnAxisIsComparedCellByCell) {
  TempDir tmp;
  const double drop[] = {0.20, 0.21, 0.19, 0.22};  // trained below frozen, one per target task
  int k = 0;
  for (const char* split : {"half0", "half1"})
    for (char t : {'A', 'B'}) {
      const std::string base = std::string(split) + "-" + t + "-base";
      write_result(tmp.path(), residual_result(base, 0.9));
      const std::string cell = std::string(split) + "-" + t + t + "-n2-finetune";
      write_result(tmp.path(), residual_result(cell + "-bnfrozen", 0.85));
      write_result(tmp.path(), residual_result(cell + "-bntrain", 0.85 - drop[k++]));
    }
  write_result(tmp.path(), residual_result("half0-AB-n3-frozen-bntrain", 0.5));  // no frozen twin
  Diagnostics diag;
  const std::vector<Dataset> sets = split_by_batch_norm(read_results_dir(tmp.path(), "ours", diag));
  ASSERT_EQ(sets.size(), 2u);
  const Table t = batch_norm_table({&sets[0], &sets[1]}, Statistic::Top10, diag);
  ASSERT_EQ(t.rows.size(), 1u) << render(t, Format::Markdown);
  const auto& row = t.rows[0];
  EXPECT_EQ(row[0].text, "BnB+");
  EXPECT_EQ(row[1].text, "2 (layer1)");
  EXPECT_EQ(row[2].number, 4);
  EXPECT_NEAR(row[3].number, -0.205, 1e-9);
  EXPECT_EQ(row[8].text.rfind("frozen higher (-0.2050", 0), 0u) << row[8].text;
  // One data set alone (no bn axis): no rows.
  EXPECT_TRUE(batch_norm_table({&sets[0]}, Statistic::Top10, diag).rows.empty());
}

// Results of two networks in one tree count n in different units: refused,
// naming both, so no table mixes them.
TEST(ResidualAnalysisFaults, TwoNetworksInOneTreeAreRefusedNamingBoth) {
  TempDir tmp;
  write_result(tmp.path(), residual_result("half0-A-base", 0.9));
  write_result(tmp.path(), residual_result("half0-B-base", 0.9, "small"));
  Diagnostics diag;
  read_results_dir(tmp.path(), "ours", diag);
  EXPECT_EQ(diag.error_count(), 1) << diag.report();
  EXPECT_TRUE(diag.mentions("resnet-small") && diag.mentions("small (")) << diag.report();
  EXPECT_TRUE(diag.mentions("different networks")) << diag.report();

  TempDir unknown;  // a network this build does not know: named, not guessed
  write_result(unknown.path(), residual_result("half0-A-base", 0.9, "resnet1001"));
  Diagnostics u;
  read_results_dir(unknown.path(), "ours", u);
  EXPECT_EQ(u.error_count(), 1) << u.report();
  EXPECT_TRUE(u.mentions("resnet1001")) << u.report();

  TempDir forged;  // "preset" that is not a name: the file is refused, naming it
  nlohmann::json j = residual_result("half0-A-base", 0.9);
  j["preset"] = 5;
  write_result(forged.path(), j);
  Diagnostics f;
  EXPECT_TRUE(read_results_dir(forged.path(), "ours", f).runs.empty());
  EXPECT_TRUE(f.mentions("preset")) << f.report();
}

}  // namespace
}  // namespace xfer
