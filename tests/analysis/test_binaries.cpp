// test_binaries.cpp: xfer_tables and xfer_plot end to end, as a user runs
// them (XFER_BIN_DIR = where the executables land).
#include <gtest/gtest.h>

#include "fixtures.h"

namespace xfer {
namespace {

using namespace xfer::testing;

class Binaries : public ::testing::Test {
 protected:
  void SetUp() override {
    if (bin("xfer_tables").empty() || !fs::exists(bin("xfer_tables")))
      GTEST_SKIP() << "no xfer_tables in XFER_BIN_DIR or beside this test";
  }
  TempDir tmp;
};

TEST_F(Binaries, HelpAndBadOptions) {
  Outcome h = run_command(bin("xfer_tables").string() + " --help");
  EXPECT_EQ(h.code, 0);
  for (const char* opt : {"--results", "--caffe-logs", "--format", "--out", "--statistic", "--compare", "--figures"})
    EXPECT_NE(h.out.find(opt), std::string::npos) << opt;
  EXPECT_EQ(run_command(bin("xfer_plot").string() + " --help").code, 0);
  Outcome none = run_command(bin("xfer_tables").string());
  EXPECT_EQ(none.code, 2);  // usage errors exit 2 (core/cli.h)
  EXPECT_NE(none.err.find("--results"), std::string::npos);
  EXPECT_EQ(run_command(bin("xfer_tables").string() + " --results x --format html").code, 2);
  EXPECT_EQ(run_command(bin("xfer_tables").string() + " --results x --compare").code, 2);
  Outcome table = run_command(bin("xfer_tables").string() + " --results x --table tabel1");
  EXPECT_EQ(table.code, 2);
  EXPECT_NE(table.err.find("--table tabel1 is none of"), std::string::npos) << table.err;
}

TEST_F(Binaries, OurResultsToCsvLatexAndFigures) {
  fs::path results = tmp.path() / "results";
  for (int s = 0; s < 2; ++s)
    for (char t : {'A', 'B'})
      write_result(results, result_json("half" + std::to_string(s) + "-" + t + "-base", {0.5, 0.6 + 0.01 * s}));
  write_result(results, result_json("half0-AB-n3-frozen", {0.55}));
  write_result(results, result_json("half0-BA-n3-frozen", {0.57}, false));
  auto bad = result_json("half1-AB-n3-frozen", {0.55});
  bad["schema_version"] = 7;
  write_result(results, bad);
  fs::path out = tmp.path() / "out";
  Outcome r = run_command(bin("xfer_tables").string() + " --results " + results.string() + " --format csv --out " +
                          out.string() + " --figures");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("baseB,0,0.552500,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("AnB,3,0.550000,,1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("half0-BA-n3-frozen' is unfinished"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((results / "half1-AB-n3-frozen" / "result.json").string() + ": schema 'xfer.result' version 7"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 input(s) skipped"), std::string::npos) << r.err;
  for (const char* f : {"main.csv", "table1.csv", "dissimilar.csv", "random.csv", "relative.csv", "reduced.csv",
                        "decomposition.csv", "transfer.png", "transfer.svg"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  Outcome tex = run_command(bin("xfer_tables").string() + " --results " + results.string() + " --format latex --table main");
  EXPECT_EQ(tex.code, 0);
  EXPECT_NE(tex.out.find("\\begin{tabular}"), std::string::npos);
  EXPECT_EQ(tex.out.find("Table 1"), std::string::npos);
}

TEST_F(Binaries, EmptyResultsDirectoryIsReported) {
  fs::create_directories(tmp.path() / "empty");
  Outcome r = run_command(bin("xfer_tables").string() + " --results " + (tmp.path() / "empty").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("empty: no result.json files"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("| baseB | 0 | — | — | 0 |"), std::string::npos) << r.out;
}

TEST_F(Binaries, CompareWithThePaper) {
  fs::path logs = paper_logs();
  if (logs.empty()) GTEST_SKIP() << "../shared/paper/logs not found: no paper to compare with";
  fs::path results = tmp.path() / "results";
  write_result(results, result_json("half0-A-base", {0.6251}));
  fs::path out = tmp.path() / "figs";
  Outcome r = run_command(bin("xfer_tables").string() + " --results " + results.string() + " --caffe-logs " + logs.string() +
                          " --compare --table main table1");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("| baseB | 0 | 0.6251 | — | 1 | 0.6251 | 0.0055 | 8 | +0.0000 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| 1-7 | — | 0 | — | — | 0.6411 | 10 | +0.0160 | +0.0138 |"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("ours: 147 cell(s) of the paper's logs missing"), std::string::npos) << r.err;
  Outcome p = run_command(bin("xfer_plot").string() + " --results " + results.string() + " --caffe-logs " + logs.string() +
                          " --compare --out " + out.string());
  EXPECT_EQ(p.code, 0) << p.err;
  EXPECT_GT(fs::file_size(out / "transfer.png"), 1000u);
  EXPECT_GT(fs::file_size(out / "transfer.svg"), 1000u);
}

}  // namespace
}  // namespace xfer
