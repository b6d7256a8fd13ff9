// runner_fixture.h: the tiny grid the runner tests share (two bases, one
// transfer, one random control; 12 iterations) with fake_trainer.sh as the
// trainer, in a fresh folder per test, and ways to count what was trained.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "grid/cell_folder.h"
#include "grid/cell_state.h"
#include "grid/grid.h"
#include "grid/runner.h"

namespace xfer {

inline std::string source_dir() {
  const char* s = std::getenv("XFER_SOURCE_DIR");
  return s ? s : ".";
}

class RunnerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace fs = std::filesystem;
    root_ = fs::temp_directory_path() /
            ("xfer_runner_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    for (const char* d : {"half0A", "half0B"}) fs::create_directories(root_ / "data" / d);
    opt_.paths.results = (root_ / "results").string();
    opt_.paths.data = (root_ / "data").string();
    opt_.paths.trainer = source_dir() + "/tests/grid/fake_trainer.sh";
    opt_.launch = Launch::None;
    opt_.ranks = 1;
    opt_.echo = false;
    clear_fake_env();
  }
  void TearDown() override {
    clear_fake_env();
    std::filesystem::remove_all(root_);
  }

  // fake_trainer.sh's test hooks, so no test leaks one into the next.
  static void clear_fake_env() {
    for (const char* v : {"FAKE_STOP_AT", "FAKE_FAIL", "FAKE_SLEEP", "FAKE_DIVERGE_AT", "FAKE_SIGNAL",
                          "FAKE_SIGNAL_AT", "FAKE_FAULT_CELL", "FAKE_QUIET"})
      unsetenv(v);
  }

  // The sets that make the tiny grid out of the fashion-mnist preset.
  static std::vector<std::string> grid_sets() {
    return {"base.splits=half0",         "transfer.all.splits=half0", "transfer.dissim.splits=",
            "transfer.all.directions=AB", "transfer.all.n=1",
            "transfer.all.modes=frozen",  "random.halves.splits=half0",
            "random.halves.halves=B",     "random.halves.n=2",
            "solver.max_iter=12",         "solver.snapshot_interval=4",
            "slurm.ranks=1",              "base.continued=false"};
  }

  Grid grid(std::vector<std::string> extra = {}) {
    std::vector<std::string> sets = grid_sets();
    sets.insert(sets.end(), extra.begin(), extra.end());
    return enumerate_grid(load_grid_config(source_dir() + "/jobs/grids/fashion-mnist.ini", sets));
  }

  std::string dir_of(const std::string& id) const { return CellFolder(opt_.paths.results, id).dir(); }

  CellState state_of(const Grid& g, const GridCell& cell) const {
    DataIdentities identities;
    return inspect_cell(g, cell, opt_.paths, identities);
  }

  // Trainer starts the runner recorded in attempts.jsonl.
  int starts(const std::string& id) {
    std::ifstream in(dir_of(id) + "/attempts.jsonl");
    int n = 0;
    for (std::string line; std::getline(in, line);)
      n += nlohmann::json::parse(line).value("event", "") == "start";
    return n;
  }

  // Trainer starts as the trainer itself counted them, whatever the runner recorded.
  int trained(const std::string& id) {
    std::ifstream in(dir_of(id) + "/fake_trainer.starts");
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }

  nlohmann::json result(const std::string& id) {
    std::ifstream in(dir_of(id) + "/result.json");
    return nlohmann::json::parse(in, nullptr, false);
  }

  std::filesystem::path root_;
  RunOptions opt_;
};

}  // namespace xfer
