// test_runner.cpp: the cell runner's bookkeeping, with a stand-in trainer
// (fake_trainer.sh) that keeps xfer_train's contract: a local grid runs bases
// before transfers, a rerun trains nothing, a stopped cell resumes from its
// checkpoint to the same result, a changed config is refused, a real error is
// reported with its reason, and the SLURM plan groups cells by their base.
// The real trainer under real SLURM is exercised by tests/slurm/.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "data/manifest.h"
#include "grid/cell_folder.h"
#include "grid/cell_state.h"
#include "grid/grid.h"
#include "grid/runner.h"
#include "grid/slurm_plan.h"
#include "runner_fixture.h"

namespace fs = std::filesystem;

namespace xfer {
namespace {

class RunnerTest : public RunnerFixture {};

TEST_F(RunnerTest, LocalGridRunsEveryCellOnceBasesFirst) {
  Grid g = grid();
  ASSERT_EQ(g.cells.size(), 4u);  // half0-A-base, half0-B-base, half0-AB-n1-frozen, half0-B-random-n2
  opt_.jobs = 2;
  ASSERT_EQ(run_local(g, opt_), 0);
  for (const auto& c : g.cells) {
    EXPECT_EQ(state_of(g, c).status, CellStatus::Done) << c.id;
    EXPECT_EQ(starts(c.id), 1) << c.id;
  }
  // The transfer was given its base's weights and its base finished first.
  const std::optional<nlohmann::json> record = CellFolder(opt_.paths.results, "half0-AB-n1-frozen").record();
  ASSERT_TRUE(record);
  const nlohmann::json& cj = *record;
  std::string cmd = cj["command"].dump();
  EXPECT_NE(cmd.find("half0-A-base/final.h5"), std::string::npos) << cmd;
  EXPECT_NE(cmd.find("\"--transfer-mode\",\"frozen\""), std::string::npos) << cmd;

  // Again: nothing is trained twice.
  ASSERT_EQ(run_local(g, opt_), 0);
  for (const auto& c : g.cells) EXPECT_EQ(starts(c.id), 1) << c.id;
}

TEST_F(RunnerTest, StoppedCellResumesToTheSameResult) {
  Grid g = grid();
  const GridCell& base = *g.find("half0-A-base");
  ASSERT_EQ(run_cell(g, base, opt_), 0);
  nlohmann::json straight = result(base.id);

  fs::remove_all(dir_of(base.id));
  setenv("FAKE_STOP_AT", "6", 1);
  ASSERT_EQ(run_cell(g, base, opt_), 75);
  CellState st = state_of(g, base);
  EXPECT_EQ(st.status, CellStatus::Partial);
  EXPECT_EQ(st.iteration, 6);
  ASSERT_EQ(run_cell(g, base, opt_), 0);
  EXPECT_EQ(result(base.id), straight);
  EXPECT_EQ(starts(base.id), 2);
  std::ifstream att(dir_of(base.id) + "/attempts.jsonl");
  std::vector<nlohmann::json> events;
  for (std::string line; std::getline(att, line);) events.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_FALSE(events[0]["resume"].get<bool>());
  EXPECT_EQ(events[1]["code"], 75);
  EXPECT_TRUE(events[2]["resume"].get<bool>());
  EXPECT_EQ(events[3]["code"], 0);
}

TEST_F(RunnerTest, StatusSeesARunningCellWithIterationAndEta) {
  Grid g = grid({"solver.max_iter=60"});
  const GridCell& base = *g.find("half0-A-base");
  setenv("FAKE_SLEEP", "0.05", 1);
  int rc = -1;
  std::thread runner([&] { rc = run_cell(g, base, opt_); });
  CellState seen;
  for (int i = 0; i < 100; ++i) {
    seen = state_of(g, base);
    if (seen.status == CellStatus::Running && seen.iteration >= 10 && seen.eta_s > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  runner.join();
  unsetenv("FAKE_SLEEP");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(seen.status, CellStatus::Running);
  EXPECT_GE(seen.iteration, 10);
  EXPECT_GT(seen.eta_s, 0);
  EXPECT_LT(seen.eta_s, 60);
  EXPECT_EQ(state_of(g, base).status, CellStatus::Done);
}

TEST_F(RunnerTest, ChangedConfigIsNotSilentlyReused) {
  Grid g = grid();
  const GridCell& cell = *g.find("half0-B-random-n2");
  ASSERT_EQ(run_cell(g, cell, opt_), 0);
  Grid changed = grid({"solver.max_iter=16"});
  const GridCell& cell2 = *changed.find("half0-B-random-n2");
  CellState st = state_of(changed, cell2);
  EXPECT_EQ(st.status, CellStatus::Stale);
  EXPECT_EQ(run_cell(changed, cell2, opt_), 1);
  EXPECT_EQ(starts(cell.id), 1);

  Plan plan = make_plan(changed, opt_.paths, QueueInfo{});
  ASSERT_EQ(plan.stale.size(), 1u);
  Plan rerun = make_plan(changed, opt_.paths, QueueInfo{}, /*rerun_stale=*/true);
  EXPECT_TRUE(rerun.stale.empty());
  ASSERT_FALSE(rerun.groups.empty());
  EXPECT_NE(std::find(rerun.groups[0].ids.begin(), rerun.groups[0].ids.end(), cell.id),
            rerun.groups[0].ids.end());

  opt_.rerun_stale = true;
  EXPECT_EQ(run_cell(changed, cell2, opt_), 0);
  ASSERT_TRUE(fs::is_directory(fs::path(opt_.paths.results) / ".stale"));
  EXPECT_EQ(std::distance(fs::directory_iterator(fs::path(opt_.paths.results) / ".stale"),
                          fs::directory_iterator{}), 1);
  EXPECT_EQ(result(cell.id)["iterations"], 16);
  EXPECT_EQ(state_of(changed, cell2).status, CellStatus::Done);
}

// A minimal manifest for the fixture's data folder `split`; `crc` stands for
// the content of its one shard.
void write_test_manifest(const std::string& root, const std::string& split, uint32_t crc) {
  Manifest m;
  m.dataset = "fashion-mnist";
  m.split = split;
  m.channels = 1;
  m.height = m.width = 28;
  m.class_ids = {0, 1};
  m.class_names = {"a", "b"};
  m.subsets["train"].shards = {ManifestShard{"train-00000.h5", 10, 100, crc, {}}};
  write_manifest(root + "/" + split, m);
}

TEST_F(RunnerTest, IdentityFollowsTheDataNotItsPath) {
  write_test_manifest(opt_.paths.data, "half0A", 1);
  write_test_manifest(opt_.paths.data, "half0B", 2);
  Grid g = grid();
  ASSERT_EQ(run_local(g, opt_), 0);
  auto all_done = [&](const char* when) {
    for (const auto& c : g.cells)
      EXPECT_EQ(state_of(g, c).status, CellStatus::Done) << c.id << " " << when;
  };
  // The data copied elsewhere, the results moved: the same cells.
  fs::copy(opt_.paths.data, root_ / "copy", fs::copy_options::recursive);
  opt_.paths.data = (root_ / "copy").string();
  fs::rename(opt_.paths.results, root_ / "moved");
  opt_.paths.results = (root_ / "moved").string();
  all_done("after the copy and the move");
  // The data out of reach (scratch not mounted): what cell.json recorded stands.
  opt_.paths.data = (root_ / "absent").string();
  all_done("with the data out of reach");
  // Other content under the same name: the cells trained on it, and the
  // transfer onto it, are stale; those on half0A are not.
  opt_.paths.data = (root_ / "copy").string();
  write_test_manifest(opt_.paths.data, "half0B", 3);
  for (const auto& c : g.cells) {
    const bool on_b = c.cell.data_name() == "half0B";
    EXPECT_EQ(state_of(g, c).status, on_b ? CellStatus::Stale : CellStatus::Done) << c.id;
  }
  for (const auto& c : g.cells) EXPECT_EQ(starts(c.id), 1) << c.id;
}

TEST_F(RunnerTest, RealErrorsFailWithTheirReasonAndBlockDependents) {
  Grid g = grid();
  setenv("FAKE_FAIL", "1", 1);
  EXPECT_EQ(run_cell(g, *g.find("half0-A-base"), opt_), 1);
  CellState st = state_of(g, *g.find("half0-A-base"));
  EXPECT_EQ(st.status, CellStatus::Failed);
  EXPECT_NE(st.reason.find("fake failure"), std::string::npos) << st.reason;
  // A transfer refuses to start without its base.
  unsetenv("FAKE_FAIL");
  EXPECT_EQ(run_cell(g, *g.find("half0-AB-n1-frozen"), opt_), 1);
  EXPECT_EQ(starts("half0-AB-n1-frozen"), 0);
  // A missing data folder is a usage error.
  fs::remove_all(root_ / "data" / "half0B");
  EXPECT_EQ(run_cell(g, *g.find("half0-B-base"), opt_), 2);
}

// A continued base waits for its base as a transfer does, by its dependency
// alone: the local runner and the SLURM plan order it after that base.
TEST_F(RunnerTest, ContinuedBasesRunAfterTheirBaseFromItsWeights) {
  Grid g = grid({"base.continued=true"});
  ASSERT_EQ(g.cells.size(), 6u);
  ASSERT_NE(g.find("half0-B-base-continued"), nullptr);
  ASSERT_EQ(run_cell(g, *g.find("half0-B-base"), opt_), 0);
  Plan p = make_plan(g, opt_.paths, QueueInfo{});
  ASSERT_EQ(p.groups.size(), 2u);
  EXPECT_EQ(p.groups[0].ids, (std::vector<std::string>{"half0-A-base", "half0-B-base-continued",
                                                       "half0-B-random-n2"}));
  EXPECT_EQ(p.groups[1].after_cell, "half0-A-base");
  EXPECT_EQ(p.groups[1].ids, (std::vector<std::string>{"half0-AB-n1-frozen", "half0-A-base-continued"}));

  opt_.jobs = 2;
  ASSERT_EQ(run_local(g, opt_), 0);
  for (const auto& c : g.cells) EXPECT_EQ(state_of(g, c).status, CellStatus::Done) << c.id;
  auto time_of = [&](const std::string& id, const char* event) {
    std::ifstream in(dir_of(id) + "/attempts.jsonl");
    std::string t;  // ISO 8601 UTC: ordered as text
    for (std::string line; std::getline(in, line);) {
      const auto j = nlohmann::json::parse(line);
      if (j.value("event", "") == event && t.empty()) t = j["time"].get<std::string>();
    }
    return t;
  };
  ASSERT_FALSE(time_of("half0-A-base", "exit").empty());
  EXPECT_GE(time_of("half0-A-base-continued", "start"), time_of("half0-A-base", "exit"));
  const std::string cmd = CellFolder(opt_.paths.results, "half0-A-base-continued").record()->at("command").dump();
  EXPECT_NE(cmd.find("half0-A-base/final.h5"), std::string::npos) << cmd;
  EXPECT_NE(cmd.find("\"--transfer-mode\",\"continue\""), std::string::npos) << cmd;
  EXPECT_EQ(cmd.find("--transfer-n"), std::string::npos) << cmd;
}

TEST_F(RunnerTest, PlanWaitsOnExactlyTheBaseStillToRun) {
  Grid g = grid({"transfer.all.directions=AB,BA,AA"});
  ASSERT_EQ(run_cell(g, *g.find("half0-B-base"), opt_), 0);
  QueueInfo none;
  Plan p = make_plan(g, opt_.paths, none);
  EXPECT_EQ(p.done, 1u);
  ASSERT_EQ(p.groups.size(), 2u);
  EXPECT_EQ(p.groups[0].name, "ready");
  // Ready: the A base, the random control, and BA (its base B is done).
  EXPECT_EQ(p.groups[0].ids,
            (std::vector<std::string>{"half0-A-base", "half0-BA-n1-frozen", "half0-B-random-n2"}));
  EXPECT_EQ(p.groups[1].after_cell, "half0-A-base");
  EXPECT_EQ(p.groups[1].ids, (std::vector<std::string>{"half0-AB-n1-frozen", "half0-AA-n1-frozen"}));

  // The A base already queued by an earlier submission: wait on that job instead.
  QueueInfo q;
  q.available = true;
  q.job_of_cell["half0-A-base"] = "41_0";
  q.jobs["41_0"] = {"PENDING", "Priority"};
  Plan p2 = make_plan(g, opt_.paths, q);
  EXPECT_EQ(p2.active, 1u);
  ASSERT_EQ(p2.groups.size(), 2u);
  EXPECT_EQ(p2.groups[1].after_job, "41_0");
  EXPECT_EQ(p2.groups[1].after_cell, "");

  auto args = cell_sbatch_args(g, "/r");
  EXPECT_NE(std::find(args.begin(), args.end(), "--requeue"), args.end());
  EXPECT_NE(std::find(args.begin(), args.end(), "--output=/r/logs/%A_%a.out"), args.end());
}

// How a cell's ranks start comes from the grid's [slurm] section: srun with
// the site's MPI plugin, or mpirun; cells across nodes ask for N per node.
TEST_F(RunnerTest, LauncherAndPlacementComeFromTheSlurmSection) {
  auto has = [](const std::vector<std::string>& v, const std::string& a) {
    return std::find(v.begin(), v.end(), a) != v.end();
  };
  RunOptions o = opt_;
  o.launch = Launch::Auto;
  o.ranks = 0;
  Grid g = grid({"slurm.ranks=4", "slurm.launcher=srun", "slurm.mpi=pmi2", "slurm.tasks_per_node=2"});
  auto cmd = cell_command(g, *g.find("half0-A-base"), o);
  EXPECT_EQ(cmd.at(0), "srun");
  EXPECT_TRUE(has(cmd, "--mpi=pmi2"));
  EXPECT_TRUE(has(cmd, "--ntasks=4"));
  auto args = cell_sbatch_args(g, "/r");
  EXPECT_TRUE(has(args, "--nodes=2"));
  EXPECT_TRUE(has(args, "--ntasks-per-node=2"));
  Grid m = grid({"slurm.ranks=2", "slurm.launcher=mpirun"});
  EXPECT_EQ(cell_command(m, *m.find("half0-A-base"), o).at(0), "mpirun");
  EXPECT_THROW(grid({"slurm.launcher=ssh"}), std::exception);
  EXPECT_THROW(grid({"slurm.ranks=3", "slurm.tasks_per_node=2"}), std::exception);
}

}  // namespace
}  // namespace xfer
