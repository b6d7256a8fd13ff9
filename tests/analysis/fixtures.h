// fixtures.h: helpers for the analysis tests: writing text and gzip files,
// result.json files, the location of the paper's logs and of the built
// binaries (scratch folders and running commands: test_util.h).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/diagnostics.h"
#include "analysis/run.h"
#include "test_util.h"

namespace xfer::testing {

namespace fs = std::filesystem;

// A data set whose every net has a constant curve at its value (two tests).
inline Dataset constant_runs(const std::string& name, const std::vector<std::pair<std::string, double>>& nets) {
  Dataset ds;
  ds.name = name;
  for (const auto& [id, v] : nets) {
    NetRun r;
    r.cell_id = id;
    r.cell = *parse_cell_id(id);
    r.curve = {{1000, v}, {2000, v}};
    ds.runs.emplace(id, r);
  }
  return ds;
}

inline void write_gz(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  gzFile gz = gzopen(p.string().c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
}

// A result.json as the trainer writes it; `top1` gives the curve, one test
// every 1000 iterations. The stored statistic is deliberately wrong (0.999),
// so a reader that trusts it instead of the curve is caught.
inline nlohmann::json result_json(const std::string& id, const std::vector<double>& top1,
                                  bool finished = true) {
  nlohmann::json curve = nlohmann::json::array();
  for (size_t i = 0; i < top1.size(); ++i)
    curve.push_back({{"iteration", 1000 * (i + 1)}, {"top1", top1[i]}, {"top5", 0.9}, {"loss", 2.0}});
  return {{"schema", "xfer.result"}, {"schema_version", 1}, {"cell_id", id}, {"preset", "caffenet"},
          {"config_hash", "0123456789abcdef"}, {"code_version", "test"}, {"num_classes", 500},
          {"finished", finished}, {"iterations", 1000 * top1.size()}, {"curve", curve},
          {"statistic", {{"top10_mean_top1", 0.999}, {"best_top1", 0.999}, {"final_top1", 0.999},
                         {"final_top5", 0.999}, {"final_loss", 0.0}}},
          {"images_per_s", 1234.5}, {"wall_s", 100.0}, {"backend", "cpu"}, {"tf32", false}, {"ranks", 1}};
}

inline void write_result(const fs::path& results, const nlohmann::json& j) {
  write_text(results / j["cell_id"].get<std::string>() / "result.json", j.dump(1));
}

// A reader of an input folder (results, Caffe logs) on an empty folder and on
// one that does not exist: no runs, and each reported.
template <class Read>
void expect_empty_and_missing_folders_reported(Read read) {
  TempDir tmp;
  Diagnostics diag;
  EXPECT_TRUE(read(tmp.path(), diag).runs.empty());
  EXPECT_TRUE(diag.mentions("empty")) << diag.report();
  Diagnostics missing;
  EXPECT_TRUE(read(tmp.path() / "does-not-exist", missing).runs.empty());
  EXPECT_EQ(missing.error_count(), 1) << missing.report();
  EXPECT_TRUE(missing.mentions("does-not-exist")) << missing.report();
}

// ../shared/paper/logs from the project root, or empty when absent.
inline fs::path paper_logs() {
  const char* src = std::getenv("XFER_SOURCE_DIR");
  if (!src) return {};
  fs::path p = fs::path(src) / ".." / "shared" / "paper" / "logs";
  return fs::is_directory(p) ? p : fs::path();
}

// One glog line as Caffe's solver writes it.
inline std::string glog(const std::string& mmdd_time, const std::string& msg) {
  return "I" + mmdd_time + " 23304 solver.cpp:96] " + msg + "\n";
}

// A test block: "Testing net", top-1 and loss at time `t` ("0403 07:15:12.000000").
inline std::string test_block(long iteration, double top1, const std::string& t) {
  char score[64];
  std::snprintf(score, sizeof score, "Test score #0: %.9g", top1);
  return glog(t, "Iteration " + std::to_string(iteration) + ", Testing net") + glog(t, score) +
         glog(t, "Test score #1: 1.5");
}

// The built program `name` (test_util.h's bin_dir()).
inline fs::path bin(const std::string& name) { return fs::path(bin_dir()) / name; }

}  // namespace xfer::testing
