// test_result_file.cpp: result.json written by the trainer's writer and read
// back by the readers of analysis/ and the grid.
#include "result/result_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace xfer {
namespace {

namespace fs = std::filesystem;

class ResultFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("xfer_result_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

RunResult finished_run() {
  RunResult r;
  r.cell_id = "half0-AB-n3-frozen";
  r.preset = "small";
  r.config_hash = "0123456789abcdef";
  r.num_classes = 5;
  r.num_outputs = 10;
  r.status = RunStatus::Finished;
  r.iterations = 1200;
  r.provenance_json = R"({"host": "node1"})";
  // Twelve tests, out of order of quality: the statistic is the mean of the 10 best.
  for (int i = 1; i <= 12; ++i)
    r.curve.push_back({100 * i, 0.05 * ((i * 7) % 12), 0.9, 2.0 - 0.1 * i});
  r.images_per_s = 512.5;
  r.wall_s = 33.25;
  return r;
}

double mean_of_10_best(std::vector<double> v) {
  std::sort(v.rbegin(), v.rend());
  double s = 0;
  for (int i = 0; i < 10; ++i) s += v[i];
  return s / 10;
}

TEST_F(ResultFileTest, WrittenThenReadGivesTheSameRunAndStatistic) {
  const RunResult r = finished_run();
  const std::string path = (dir_ / kResultFileName).string();
  write_result_file(path, r);

  ResultProblem problem;
  std::optional<RunResult> back = parse_result_file(path, problem);
  ASSERT_TRUE(back) << problem.message();
  EXPECT_EQ(back->cell_id, r.cell_id);
  EXPECT_EQ(back->status, RunStatus::Finished);
  ASSERT_EQ(back->curve.size(), r.curve.size());
  std::vector<double> top1;
  for (size_t i = 0; i < r.curve.size(); ++i) {
    EXPECT_EQ(back->curve[i].iteration, r.curve[i].iteration);
    EXPECT_EQ(back->curve[i].top1, r.curve[i].top1);  // doubles survive JSON exactly
    EXPECT_EQ(back->curve[i].top5, r.curve[i].top5);
    EXPECT_EQ(back->curve[i].loss, r.curve[i].loss);
    top1.push_back(r.curve[i].top1);
  }
  const double expected = mean_of_10_best(top1);
  EXPECT_NEAR(curve_statistic(back->curve, Statistic::Top10), expected, 1e-15);

  // The grid's view of the same file: the statistic the writer recorded.
  RunResult s = read_result_summary(path);
  EXPECT_EQ(s.status, RunStatus::Finished);
  EXPECT_EQ(s.config_hash, r.config_hash);
  EXPECT_EQ(s.iterations, 1200);
  ASSERT_TRUE(s.top10_mean_top1);
  EXPECT_EQ(*s.top10_mean_top1, curve_statistic(back->curve, Statistic::Top10));

  // Every field of the schema, as the README documents it.
  nlohmann::json j = nlohmann::json::parse(std::ifstream(path));
  EXPECT_EQ(j["schema"], kResultSchema);
  EXPECT_EQ(j["schema_version"], kResultSchemaVersion);
  for (const char* key : {"cell_id", "preset", "config_hash", "code_version", "num_classes", "num_outputs",
                          "status", "finished", "iterations", "curve", "statistic", "images_per_s", "wall_s",
                          "backend", "tf32", "ranks", "step_s", "provenance", "comm"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_FALSE(j.contains("diverged"));
  EXPECT_EQ(j["statistic"]["best_top1"], r.curve[4].top1);  // 0.05 * 11
  EXPECT_EQ(j["statistic"]["final_top1"], r.curve.back().top1);
  EXPECT_EQ(j["provenance"]["host"], "node1");
}

TEST_F(ResultFileTest, DivergedRunHasItsIterationAndNoStatistic) {
  RunResult r = finished_run();
  r.status = RunStatus::Diverged;
  r.diverged_iteration = 24;
  r.diverged_what = "loss nan";
  r.iterations = 24;
  const std::string path = (dir_ / kResultFileName).string();
  write_result_file(path, r);
  ResultProblem problem;
  auto back = parse_result_file(path, problem);
  ASSERT_TRUE(back) << problem.message();
  EXPECT_EQ(back->status, RunStatus::Diverged);
  EXPECT_EQ(diverged_reason(*back), "diverged at iteration 24 (loss nan)");
  EXPECT_TRUE(back->curve.empty());
  RunResult s = read_result_summary(path);
  EXPECT_EQ(s.status, RunStatus::Diverged);
  EXPECT_EQ(diverged_reason(s), "diverged at iteration 24 (loss nan)");
  EXPECT_EQ(s.iterations, 24);
  EXPECT_FALSE(s.top10_mean_top1);
}

TEST_F(ResultFileTest, NanIsRefusedNamingTheFile) {
  RunResult r = finished_run();
  r.curve[3].top1 = NAN;  // written as null
  const std::string path = (dir_ / kResultFileName).string();
  write_result_file(path, r);
  ResultProblem problem;
  EXPECT_FALSE(parse_result_file(path, problem));
  EXPECT_EQ(problem.file, path);
  EXPECT_EQ(problem.message().rfind(path + ": curve point 4 (iteration 400): top1 is null", 0), 0u)
      << problem.message();
}

// The last weights' test on the whole validation set travels beside the
// curve; absent in older files; a non-finite value in it refuses the file.
TEST_F(ResultFileTest, FullTestRoundTripsIsOptionalAndIsChecked) {
  const std::string path = (dir_ / kResultFileName).string();
  RunResult r = finished_run();
  ResultProblem problem;
  write_result_file(path, r);
  auto back = parse_result_file(path, problem);
  ASSERT_TRUE(back) << problem.message();
  EXPECT_FALSE(back->full_test);

  r.full_test = CurvePoint{1200, 0.9375, 1.0, 0.25, 5000};
  write_result_file(path, r);
  back = parse_result_file(path, problem);
  ASSERT_TRUE(back && back->full_test) << problem.message();
  EXPECT_EQ(back->full_test->top1, 0.9375);
  EXPECT_EQ(back->full_test->images, 5000);
  EXPECT_EQ(back->full_test->iteration, 1200);

  r.full_test->loss = INFINITY;  // written as null
  write_result_file(path, r);
  EXPECT_FALSE(parse_result_file(path, problem));
  EXPECT_EQ(problem.message(), path + ": full_test loss is null, not a number (NaN or infinity written as JSON)");
}

TEST_F(ResultFileTest, MissingOrIllTypedFieldsAreNamedWithTheFile) {
  const std::string path = (dir_ / kResultFileName).string();
  nlohmann::json j = nlohmann::json::parse(result_to_json(finished_run()));
  j.erase("finished");
  std::ofstream(path) << j.dump();
  ResultProblem problem;
  EXPECT_FALSE(parse_result_file(path, problem));
  EXPECT_EQ(problem.message(), path + ": field 'finished' is missing");
  j["finished"] = "yes";
  std::ofstream(path) << j.dump();
  EXPECT_FALSE(parse_result_file(path, problem));
  EXPECT_EQ(problem.message(), path + ": field 'finished' is string, not a boolean");
  EXPECT_FALSE(parse_result_file(dir_ / "absent.json", problem));
  EXPECT_EQ(problem.message(), (dir_ / "absent.json").string() + ": cannot open");
  fs::create_directory(dir_ / "folder.json");
  EXPECT_FALSE(parse_result_file(dir_ / "folder.json", problem));
  EXPECT_EQ(problem.what.rfind("cannot read", 0), 0u) << problem.message();
}

TEST_F(ResultFileTest, GridReadsOlderAndGarbledFilesWithoutThrowing) {
  const std::string path = (dir_ / kResultFileName).string();
  EXPECT_EQ(read_result_summary(path).status, RunStatus::Missing);
  fs::create_directory(dir_ / "folder");
  EXPECT_EQ(read_result_summary((dir_ / "folder").string()).status, RunStatus::Missing);
  std::ofstream(path) << "{ not json";
  EXPECT_EQ(read_result_summary(path).status, RunStatus::Missing);
  // Before "status": "finished" decides; a mistyped one is not finished.
  std::ofstream(path) << R"({"finished": true, "config_hash": 12})";
  RunResult s = read_result_summary(path);
  EXPECT_EQ(s.status, RunStatus::Finished);
  EXPECT_EQ(s.config_hash, "12");
  std::ofstream(path) << R"({"finished": "yes", "statistic": {"top10_mean_top1": "high"}})";
  s = read_result_summary(path);
  EXPECT_EQ(s.status, RunStatus::Unfinished);
  EXPECT_FALSE(s.top10_mean_top1);
  EXPECT_EQ(s.iterations, -1);
}

TEST(CurveJson, RoundTripsThroughCheckpoints) {
  std::vector<CurvePoint> c = {{10, 0.25, 0.5, 1.5}, {20, 0.125, 0.75, 1.25}};
  std::vector<CurvePoint> back = curve_from_json(curve_to_json(c));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].iteration, 20);
  EXPECT_EQ(back[1].top1, 0.125);
  EXPECT_EQ(back[1].top5, 0.75);
  EXPECT_EQ(back[1].loss, 1.25);
  EXPECT_TRUE(curve_from_json("").empty());
}

// How many validation images a test scored travels with its point (the
// uncertainty of a network's statistic rests on it); older curves lack it.
TEST(CurveJson, ImagesPerTestRoundTripAndMayBeAbsent) {
  std::vector<CurvePoint> c = {{10, 0.25, 0.5, 1.5, 1024}};
  EXPECT_NE(curve_to_json(c).find("\"images\":1024"), std::string::npos) << curve_to_json(c);
  EXPECT_EQ(curve_from_json(curve_to_json(c))[0].images, 1024);
  EXPECT_EQ(curve_from_json(R"([{"iteration": 10, "top1": 0.25, "top5": 0.5, "loss": 1.5}])")[0].images, 0);
  EXPECT_EQ(curve_to_json({{10, 0.25, 0.5, 1.5}}).find("images"), std::string::npos);
}

}  // namespace
}  // namespace xfer
