// test_caffe_log.cpp: parsing Caffe logs, the later-timestamp-wins merge, and
// bad input (garbled lines, truncated files, unknown names, empty folders).
#include "analysis/caffe_log.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace xfer {
namespace {

using namespace xfer::testing;

TEST(CaffeLog, ParsesTestsAndIgnoresOtherLines) {
  std::string text = glog("0403 07:15:12.972617", "Iteration 1000, lr = 0.01") +
                     glog("0403 07:15:12.976089", "Iteration 1000, loss = 5.49366") +
                     "name: \"CaffeNet\"\n" + test_block(1000, 0.0389203, "0403 07:17:23.362350") +
                     glog("0403 07:17:24.000000", "Restarting data prefetching") +
                     test_block(2000, 0.11168, "0403 07:48:58.427521");
  Diagnostics diag;
  auto tests = parse_caffe_log(text, "x.log", diag);
  ASSERT_EQ(tests.size(), 2u);
  EXPECT_EQ(tests[0].point.iteration, 1000);
  EXPECT_DOUBLE_EQ(tests[0].point.top1, 0.0389203);
  EXPECT_DOUBLE_EQ(tests[0].point.loss, 1.5);
  EXPECT_EQ(tests[1].point.iteration, 2000);
  EXPECT_LT(tests[0].stamp, tests[1].stamp);
  EXPECT_TRUE(diag.empty()) << diag.report();
}

TEST(CaffeLog, GarbledAndTruncatedLinesNamedWithFileAndLine) {
  std::string text = test_block(1000, 0.10, "0403 07:00:00.000000") +          // lines 1-3
                     glog("0403 08:00:00.000000", "Iteration 2x00, Testing net") +  // line 4
                     glog("0403 08:00:01.000000", "Test score #0: 0.2a") +          // line 5
                     "I0403 08:0\n" +                                               // line 6: cut in its header
                     test_block(3000, 0.30, "0403 09:00:00.000000") +              // lines 7-9
                     glog("0403 10:00:00.000000", "Iteration 4000, Testing net");   // line 10: never scored
  Diagnostics diag;
  auto tests = parse_caffe_log(text, "bad.log", diag);
  ASSERT_EQ(tests.size(), 2u);  // the rest is still read
  EXPECT_EQ(tests[1].point.iteration, 3000);
  EXPECT_TRUE(diag.mentions("bad.log:4:")) << diag.report();
  EXPECT_TRUE(diag.mentions("bad.log:5:")) << diag.report();
  EXPECT_TRUE(diag.mentions("bad.log:6:")) << diag.report();
  EXPECT_TRUE(diag.mentions("bad.log:10:")) << diag.report();
  EXPECT_EQ(diag.skipped_count(), 3);
}

TEST(CaffeLog, ScoreWithoutTestingNetIsReported) {
  Diagnostics diag;
  auto tests = parse_caffe_log(glog("0403 07:00:00.000000", "Test score #0: 0.5"), "orphan.log", diag);
  EXPECT_TRUE(tests.empty());
  EXPECT_TRUE(diag.mentions("orphan.log:1:"));
}

TEST(CaffeLog, LaterTimestampWinsAcrossFiles) {
  TempDir tmp;
  fs::path net = tmp.path() / "half0A";
  // First job: 1000..3000; it is restarted from a snapshot at 2000 and
  // reports 2000 and 3000 again later; a third file repeats 3000 with an
  // *earlier* stamp (a job that ran before), which must lose.
  write_gz(net / "140403_063910_half0A.o1.gz", test_block(1000, 0.10, "0403 07:00:00.000000") +
                                                   test_block(2000, 0.20, "0403 08:00:00.000000") +
                                                   test_block(3000, 0.30, "0403 09:00:00.000000"));
  write_gz(net / "140403_063910_half0A.o2.gz", test_block(2000, 0.25, "0405 10:00:00.000000") +
                                                   test_block(3000, 0.35, "0405 11:00:00.000000") +
                                                   test_block(4000, 0.45, "0405 12:00:00.000000"));
  write_text(net / "140403_063910_half0A.o0", test_block(3000, 0.99, "0403 08:30:00.000000"));
  Diagnostics diag;
  Dataset ds = read_caffe_log_dir(tmp.path(), "paper", diag);
  ASSERT_EQ(ds.runs.count("half0-A-base"), 1u);
  const auto& curve = ds.runs.at("half0-A-base").curve;
  ASSERT_EQ(curve.size(), 4u);
  EXPECT_DOUBLE_EQ(curve[0].top1, 0.10);
  EXPECT_DOUBLE_EQ(curve[1].top1, 0.25);
  EXPECT_DOUBLE_EQ(curve[2].top1, 0.35);
  EXPECT_DOUBLE_EQ(curve[3].top1, 0.45);
  EXPECT_TRUE(diag.empty()) << diag.report();
}

TEST(CaffeLog, YearFromFileNameOrdersAcrossNewYear) {
  // Same month-day in two years: the file name's yymmdd prefix decides.
  std::vector<std::vector<TimedTest>> files;
  Diagnostics diag;
  files.push_back(parse_caffe_log(test_block(1000, 0.7, "1231 23:00:00.000000") +
                                      test_block(2000, 0.8, "0101 01:00:00.000000"),
                                  "141231_000000_x.o1", diag));
  files.push_back(parse_caffe_log(test_block(2000, 0.1, "1231 23:30:00.000000"), "141231_000000_x.o0", diag));
  auto curve = merge_caffe_tests(files);
  ASSERT_EQ(curve.size(), 2u);
  EXPECT_DOUBLE_EQ(curve[1].top1, 0.8);  // Jan 1st 2015 beats Dec 31st 2014
}

TEST(CaffeLog, TruncatedGzipKeepsWhatWasRead) {
  TempDir tmp;
  std::string text;
  for (int i = 1; i <= 400; ++i) text += test_block(1000 * i, 0.001 * i, "0403 07:00:00.000000");
  fs::path full = tmp.path() / "full.gz";
  write_gz(full, text);
  std::string bytes;
  {
    std::ifstream in(full, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  fs::path cut = tmp.path() / "half0B" / "cut.gz";
  write_text(cut, bytes.substr(0, bytes.size() / 2));
  Diagnostics diag;
  auto tests = read_caffe_log_file(cut, diag);
  EXPECT_GT(tests.size(), 0u);
  EXPECT_LT(tests.size(), 400u);
  EXPECT_TRUE(diag.mentions(cut.string())) << diag.report();
}

TEST(CaffeLog, UnknownNamesAndEmptyFoldersReportedRestRead) {
  TempDir tmp;
  write_text(tmp.path() / "half1B" / "log", test_block(1000, 0.5, "0403 07:00:00.000000"));
  write_text(tmp.path() / "mystery_net" / "log", test_block(1000, 0.5, "0403 07:00:00.000000"));
  fs::create_directories(tmp.path() / "half2A");
  write_text(tmp.path() / "half3A" / "log", "nothing to see\n");
  write_text(tmp.path() / "loose.log", test_block(1000, 0.5, "0403 07:00:00.000000"));
  Diagnostics diag;
  Dataset ds = read_caffe_log_dir(tmp.path(), "paper", diag);
  EXPECT_EQ(ds.runs.size(), 1u);
  EXPECT_EQ(ds.runs.count("half1-B-base"), 1u);
  EXPECT_TRUE(diag.mentions("mystery_net")) << diag.report();
  EXPECT_TRUE(diag.mentions("half2A")) << diag.report();
  EXPECT_TRUE(diag.mentions("half3A")) << diag.report();
  EXPECT_TRUE(diag.mentions("1 file(s) directly in it ignored")) << diag.report();
  EXPECT_EQ(diag.skipped_count(), 4);
  EXPECT_NE(diag.report().find("4 input(s) skipped"), std::string::npos);
}

TEST(CaffeLog, EmptyOrMissingDirectoryIsReported) {
  expect_empty_and_missing_folders_reported(
      [](const fs::path& dir, Diagnostics& diag) { return read_caffe_log_dir(dir, "paper", diag); });
}

}  // namespace
}  // namespace xfer
