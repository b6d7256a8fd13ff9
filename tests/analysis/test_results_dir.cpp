// test_results_dir.cpp: a results directory read on files generated here, and
// its refusals (another schema version, broken JSON, unknown ids).
#include "analysis/results_dir.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace xfer {
namespace {

using namespace xfer::testing;

TEST(ResultFile, ReadsCurveAndRecomputesStatistic) {
  TempDir tmp;
  std::vector<double> top1;
  for (int i = 1; i <= 20; ++i) top1.push_back(0.01 * i);
  write_result(tmp.path() / "nested" / "deeper", result_json("half0-AB-n3-frozen", top1));
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  ASSERT_EQ(ds.runs.size(), 1u);
  const NetRun& run = ds.runs.at("half0-AB-n3-frozen");
  EXPECT_EQ(run.cell.kind, CellKind::Transfer);
  EXPECT_EQ(run.cell.n, 3);
  ASSERT_EQ(run.curve.size(), 20u);
  EXPECT_EQ(run.curve.back().iteration, 20000);
  EXPECT_DOUBLE_EQ(run.curve.back().top5, 0.9);
  // Mean of the 10 best: 0.11..0.20, not the stored 0.999.
  EXPECT_NEAR(curve_statistic(run.curve, Statistic::Top10), 0.155, 1e-12);
  EXPECT_NEAR(curve_statistic(run.curve, Statistic::Best), 0.20, 1e-12);
  EXPECT_TRUE(diag.empty()) << diag.report();
}

// A curve point's "images", when there, is a positive count; anything else is
// refused with the point named (it would set a network's error bar).
TEST(ResultFile, ImagesPerTestReadOrRefused) {
  TempDir tmp;
  auto good = result_json("half0-A-base", {0.5, 0.6});
  for (auto& p : good["curve"]) p["images"] = 1024;
  write_result(tmp.path(), good);
  auto bad = result_json("half0-B-base", {0.5, 0.6});
  bad["curve"][1]["images"] = -3;
  write_result(tmp.path(), bad);
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  ASSERT_EQ(ds.runs.count("half0-A-base"), 1u);
  EXPECT_EQ(ds.runs.at("half0-A-base").curve.back().images, 1024);
  EXPECT_EQ(ds.runs.count("half0-B-base"), 0u);
  EXPECT_TRUE(diag.mentions("images is -3, not a positive count")) << diag.report();
}

TEST(ResultFile, BadFilesNamedRestStillRead) {
  TempDir tmp;
  write_result(tmp.path(), result_json("half0-A-base", {0.5, 0.6}));
  auto v2 = result_json("half0-B-base", {0.5});
  v2["schema_version"] = 2;
  write_result(tmp.path(), v2);
  auto other = result_json("half1-A-base", {0.5});
  other["schema"] = "something.else";
  write_result(tmp.path(), other);
  write_text(tmp.path() / "half1-B-base" / "result.json", "{\"schema\": \"xfer.result\", \"schema_ver");
  write_result(tmp.path(), result_json("not-a-cell-id-at-all", {0.5}));
  auto no_curve = result_json("half2-A-base", {0.5});
  no_curve.erase("curve");
  write_result(tmp.path(), no_curve);
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  EXPECT_EQ(ds.runs.size(), 1u);
  EXPECT_EQ(ds.runs.count("half0-A-base"), 1u);
  EXPECT_TRUE(diag.mentions((tmp.path() / "half0-B-base" / "result.json").string() + ": schema 'xfer.result' version 2"))
      << diag.report();
  EXPECT_TRUE(diag.mentions((tmp.path() / "half1-A-base" / "result.json").string() + ": schema 'something.else'"));
  EXPECT_TRUE(diag.mentions((tmp.path() / "half1-B-base" / "result.json").string() + ": not valid JSON"));
  EXPECT_TRUE(diag.mentions("not-a-cell-id-at-all"));
  EXPECT_TRUE(diag.mentions((tmp.path() / "half2-A-base" / "result.json").string()));
  EXPECT_EQ(diag.skipped_count(), 5);
}

TEST(ResultFile, UnfinishedReportedNotGrouped) {
  TempDir tmp;
  write_result(tmp.path(), result_json("half0-A-base", {0.5}, /*finished=*/false));
  write_result(tmp.path(), result_json("half0-B-base", {0.6}));
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  EXPECT_EQ(ds.runs.size(), 1u);
  ASSERT_EQ(ds.unfinished.size(), 1u);
  EXPECT_EQ(ds.unfinished[0], "half0-A-base");
  EXPECT_TRUE(diag.mentions("half0-A-base' is unfinished")) << diag.report();
}

// Two files for one cell are an error, not "first wins": see test_faults.cpp.
TEST(ResultFile, TrustsCellIdOverFolder) {
  TempDir tmp;
  write_text(tmp.path() / "wrong-folder" / "result.json", result_json("half3-B-base", {0.4}).dump());
  Diagnostics diag;
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  ASSERT_EQ(ds.runs.count("half3-B-base"), 1u);
  EXPECT_DOUBLE_EQ(ds.runs.at("half3-B-base").curve[0].top1, 0.4);
  EXPECT_TRUE(diag.mentions("folder 'wrong-folder'"));
  EXPECT_EQ(diag.skipped_count(), 0);
}

TEST(ResultFile, KnowsTheCellsOfTheGridThatMadeThem) {
  TempDir tmp;
  write_result(tmp.path(), result_json("half0-A-base", {0.6}));
  Diagnostics diag;
  EXPECT_FALSE(read_results_dir(tmp.path(), "ours", diag).planned) << "no grid.ini: not known";
  write_text(tmp.path() / "grid.ini",
             "[grid]\nname = t\nnetwork = small\n[base]\nsplits = half0\n"
             "[solver]\nmax_iter = 10\nbase_lr = 0.01\nbatch = 8\n"
             "[transfer.all]\nsplits = half0\ndirections = AB\nn = 1-2\nmodes = frozen\n");
  Dataset ds = read_results_dir(tmp.path(), "ours", diag);
  ASSERT_TRUE(ds.planned);
  EXPECT_EQ(ds.planned->size(), 4u);  // two bases, two transfers
  EXPECT_TRUE(ds.plans([](const Cell& c) { return c.kind == CellKind::Transfer && c.n == 2; }));
  EXPECT_FALSE(ds.plans([](const Cell& c) { return c.kind == CellKind::Random; }));
  write_text(tmp.path() / "grid.ini", "[grid]\nnetwork =\n");
  Diagnostics bad;
  EXPECT_FALSE(read_results_dir(tmp.path(), "ours", bad).planned);
  EXPECT_TRUE(bad.mentions("grid.ini")) << bad.report();
}

TEST(ResultFile, EmptyOrMissingDirectoryIsReported) {
  expect_empty_and_missing_folders_reported(
      [](const fs::path& dir, Diagnostics& diag) { return read_results_dir(dir, "ours", diag); });
}

}  // namespace
}  // namespace xfer
