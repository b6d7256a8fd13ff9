// test_figures.cpp: the figures are actually written, as non-empty PNG and
// SVG files under their final names with no temporaries left, with one and
// with two data sets; a failing gnuplot is an error, not a silent success.
#include "analysis/figures.h"

#include <gtest/gtest.h>

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

void expect_figures(const fs::path& dir, const std::vector<fs::path>& written) {
  EXPECT_EQ(written.size(), 8u);
  for (const char* name : {"transfer", "dissimilar", "relative", "reduced"}) {
    for (const char* ext : {".png", ".svg"}) {
      fs::path p = dir / (std::string(name) + ext);
      ASSERT_TRUE(fs::exists(p)) << p;
      EXPECT_GT(fs::file_size(p), 1000u) << p;
    }
    std::ifstream png(dir / (std::string(name) + ".png"), std::ios::binary);
    char magic[4] = {};
    png.read(magic, 4);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG");
    std::ifstream svg(dir / (std::string(name) + ".svg"));
    std::string text((std::istreambuf_iterator<char>(svg)), {});
    EXPECT_NE(text.find("<svg"), std::string::npos);
  }
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << "temporary left behind: " << e.path();
}

TEST(Figures, WritesPngAndSvg) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot not installed (apt-get install gnuplot-nox)";
  TempDir tmp;
  Dataset ds = make("ours", 0);
  Diagnostics diag;
  auto written = write_figures({&ds}, {tmp.path(), Statistic::Top10}, diag);
  expect_figures(tmp.path(), written);
}

TEST(Figures, TwoDataSetsOnOneFigure) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot not installed (apt-get install gnuplot-nox)";
  TempDir tmp;
  Dataset ours = make("ours", 0), paper = make("paper", 0.01);
  Diagnostics diag;
  auto written = write_figures({&ours, &paper}, {tmp.path(), Statistic::Best}, diag);
  expect_figures(tmp.path(), written);
  std::ifstream svg(tmp.path() / "transfer.svg");
  std::string text((std::istreambuf_iterator<char>(svg)), {});
  EXPECT_NE(text.find("ours AnB"), std::string::npos);
  EXPECT_NE(text.find("paper AnB"), std::string::npos);
}

TEST(Figures, GnuplotFailureThrowsAndLeavesNothing) {
  TempDir tmp;
  Dataset ds = make("ours", 0);
  Diagnostics diag;
  FigureOptions opt{tmp.path(), Statistic::Top10, "false"};
  EXPECT_THROW(write_figures({&ds}, opt, diag), std::runtime_error);
  EXPECT_TRUE(fs::is_empty(tmp.path()));
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
