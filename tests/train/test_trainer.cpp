// test_trainer.cpp: whole runs of the trainer on the generated batch:
// results and checkpoints on disk, resume determinism (a run stopped by a
// signal and resumed ends bit-identical to an uninterrupted one), transfers
// from a base's checkpoint and the continued base. The options themselves:
// tests/config.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "comm/communicator.h"
#include "config/run_identity.h"
#include "config/train_config.h"
#include "core/provenance.h"
#include "core/check.h"
#include "core/rng.h"
#include "net/checkpoint.h"
#include "net/net_fixtures.h"
#include "train/train_fixtures.h"
#include "train/trainer.h"

namespace fs = std::filesystem;

namespace xfer {
namespace {

using testing::read_json;
using testing::small_run;

std::vector<float> weights_of(const std::string& ckpt) {
  auto be = make_backend("cpu", 0, 1);
  auto st = read_checkpoint_state(ckpt);
  Net net(*be, net_preset("small"), 1, 10);
  load_checkpoint(ckpt, net);
  return net.params().to_host();
}

// Each test's runs go under a folder of its own, with one single-process
// communicator.
class Trainer : public ::testing::Test {
 protected:
  const testing::TempDir scratch_{std::string("trainer_") +
                                  ::testing::UnitTest::GetInstance()->current_test_info()->name()};
  const std::string dir_ = scratch_.str();
  const std::unique_ptr<Communicator> comm_ = make_single_communicator();
};

TEST_F(Trainer, WritesResultCheckpointsAndConfig) {
  auto cfg = small_run(dir_ + "/cell");
  cfg.cell_id = "half0-A-base";
  EXPECT_EQ(run_training(cfg, *comm_), kExitDone);
  for (const char* f : {"result.json", "final.h5", "checkpoint.h5", "config.ini"})
    EXPECT_TRUE(fs::exists(dir_ + "/cell/" + f)) << f;
  auto r = read_json(dir_ + "/cell/result.json");
  EXPECT_EQ(r["schema"], "xfer.result");
  EXPECT_EQ(r["schema_version"], 1);
  EXPECT_EQ(r["cell_id"], "half0-A-base");
  EXPECT_EQ(r["finished"], true);
  EXPECT_EQ(r["iterations"], 24);
  EXPECT_EQ(r["curve"].size(), 3u);  // iterations 8, 16, 24
  EXPECT_EQ(r["curve"][2]["iteration"], 24);
  EXPECT_EQ(r["config_hash"], run_identity(cfg, "generated", ""));
  double top1 = r["statistic"]["top10_mean_top1"];
  EXPECT_GE(top1, 0.0);
  EXPECT_LE(top1, 1.0);
  EXPECT_GT(r["images_per_s"].get<double>(), 0.0);
  // Provenance: the build's version, the libraries, the machine, the ranks.
  EXPECT_EQ(r["code_version"], code_version());
  EXPECT_NE(std::string(code_version()).find("0."), std::string::npos) << code_version();
  const auto& p = r["provenance"];
  EXPECT_EQ(p["code_version"], code_version());
  for (const char* lib : {"HDF5", "oneDNN", "MPI"}) EXPECT_TRUE(p["libraries"].contains(lib)) << lib;
  EXPECT_FALSE(p["host"].get<std::string>().empty());
  EXPECT_FALSE(p["cpu"].get<std::string>().empty());
  EXPECT_EQ(p["ranks"], 1);
  EXPECT_NE(read_checkpoint_state(dir_ + "/cell/final.h5").provenance_json.find(code_version()),
            std::string::npos);
}

TEST_F(Trainer, ResumedRunIsBitIdenticalToUninterrupted) {
  auto straight = small_run(dir_ + "/straight");
  ASSERT_EQ(run_training(straight, *comm_), kExitDone);

  auto cut = small_run(dir_ + "/cut");
  cut.stop_after = 12;  // stops as on SIGUSR1, between two snapshots
  ASSERT_EQ(run_training(cut, *comm_), kExitStopped);
  EXPECT_FALSE(fs::exists(dir_ + "/cut/result.json"));
  EXPECT_EQ(read_checkpoint_state(dir_ + "/cut/checkpoint.h5").iteration, 12);
  ASSERT_EQ(run_training(cut, *comm_), kExitDone);  // resumes from the checkpoint

  EXPECT_EQ(weights_of(dir_ + "/cut/final.h5"), weights_of(dir_ + "/straight/final.h5"));
  auto a = read_json(dir_ + "/straight/result.json"), b = read_json(dir_ + "/cut/result.json");
  EXPECT_EQ(a["curve"], b["curve"]);
}

TEST_F(Trainer, TestsStartAtTestStartAndTheLastIsAlwaysTested) {
  auto cfg = small_run(dir_ + "/cell");
  cfg.solver.test_interval = 5;
  cfg.solver.test_start = 12;  // tests at 15 and 20, then the last (24)
  ASSERT_EQ(run_training(cfg, *comm_), kExitDone);
  std::vector<int> tested;
  const auto result = read_json(dir_ + "/cell/result.json");
  for (const auto& p : result["curve"]) tested.push_back(p["iteration"]);
  EXPECT_EQ(tested, (std::vector<int>{15, 20, 24}));
  // Where tests start is part of what the run is.
  auto other = cfg;
  other.solver.test_start = 0;
  EXPECT_NE(run_identity(cfg, "generated", ""), run_identity(other, "generated", ""));
}

TEST_F(Trainer, ResumeRefusesACheckpointOfAnotherConfiguration) {
  auto cfg = small_run(dir_ + "/cell");
  cfg.stop_after = 8;
  ASSERT_EQ(run_training(cfg, *comm_), kExitStopped);
  cfg.solver.base_lr = 0.02;
  try {
    run_training(cfg, *comm_);
    FAIL() << "resumed a checkpoint made with another learning rate";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another configuration"), std::string::npos) << e.what();
  }
}

TEST_F(Trainer, FrozenTransferKeepsCopiedLayersBitIdentical) {
  auto base = small_run(dir_ + "/base");
  ASSERT_EQ(run_training(base, *comm_), kExitDone);
  auto t = small_run(dir_ + "/xfer");
  t.base = dir_ + "/base/final.h5";
  t.transfer_n = 4;
  t.transfer_mode = TransferMode::Frozen;
  t.seed = 9;
  ASSERT_EQ(run_training(t, *comm_), kExitDone);
  auto be = make_backend("cpu", 0, 1);
  Net a(*be, net_preset("small"), 1, 10), b(*be, net_preset("small"), 1, 10);
  load_checkpoint(dir_ + "/base/final.h5", a);
  load_checkpoint(dir_ + "/xfer/final.h5", b);
  auto pa = a.params().to_host(), pb = b.params().to_host();
  for (const auto& s : a.slots()) {
    bool same = std::equal(pa.begin() + s.offset, pa.begin() + s.offset + s.count(), pb.begin() + s.offset);
    EXPECT_EQ(same, s.transfer_index <= 4) << s.layer->name();
  }
}

// The continued base: its run starts from the base's final weights, every
// layer (fc8 included), and trains all of them on the schedule started again.
TEST_F(Trainer, ContinuedBaseStartsFromTheBaseAndTrainsEveryLayer) {
  auto base = small_run(dir_ + "/base");
  ASSERT_EQ(run_training(base, *comm_), kExitDone);
  const std::string base_final = dir_ + "/base/final.h5";
  const std::vector<float> start = weights_of(base_final);

  // One step with a learning rate too small to go anywhere: the net ends where
  // it started, which is the base's final weights, not a fresh initialisation.
  auto step = small_run(dir_ + "/step");
  step.base = base_final;
  step.transfer_mode = TransferMode::Continue;
  step.solver.max_iter = 1;
  step.solver.test_start = 0;
  step.solver.base_lr = 1e-9;
  ASSERT_EQ(run_training(step, *comm_), kExitDone);
  const std::vector<float> after_step = weights_of(dir_ + "/step/final.h5");
  auto be = make_backend("cpu", 0, 1);
  Net fresh(*be, net_preset("small"), 1, 10);
  fresh.init_params(derive_seed(step.seed, 1));
  const std::vector<float> init = fresh.params().to_host();
  ASSERT_EQ(after_step.size(), start.size());
  float from_base = 0, init_from_base = 0;
  for (size_t i = 0; i < start.size(); ++i) {
    from_base = std::max(from_base, std::abs(after_step[i] - start[i]));
    init_from_base = std::max(init_from_base, std::abs(init[i] - start[i]));
  }
  EXPECT_LT(from_base, 1e-6f);
  EXPECT_GT(init_from_base, 1e-2f);

  // A whole schedule again: every layer has moved from the base's.
  auto cont = small_run(dir_ + "/continued");
  cont.cell_id = "half0-A-base-continued";
  cont.base = base_final;
  cont.transfer_mode = TransferMode::Continue;
  ASSERT_EQ(run_training(cont, *comm_), kExitDone);
  Net a(*be, net_preset("small"), 1, 10), b(*be, net_preset("small"), 1, 10);
  load_checkpoint(base_final, a);
  load_checkpoint(dir_ + "/continued/final.h5", b);
  const auto pa = a.params().to_host(), pb = b.params().to_host();
  for (const auto& s : a.slots())
    EXPECT_FALSE(std::equal(pa.begin() + s.offset, pa.begin() + s.offset + s.count(), pb.begin() + s.offset))
        << s.layer->name() << " was not trained";
  const auto r = read_json(dir_ + "/continued/result.json");
  EXPECT_EQ(r["iterations"], 24);  // the schedule ran again in full
  // The base's identity is part of the continued run's.
  EXPECT_EQ(r["config_hash"], run_identity(cont, "generated", read_checkpoint_state(base_final).config_hash));
}

TEST_F(Trainer, ContinuedBaseRefusesABaseWithAnotherFc8) {
  auto base = small_run(dir_ + "/base");
  base.fc8_outputs = 12;
  ASSERT_EQ(run_training(base, *comm_), kExitDone);
  auto cont = small_run(dir_ + "/continued");
  cont.base = dir_ + "/base/final.h5";
  cont.transfer_mode = TransferMode::Continue;
  try {
    run_training(cont, *comm_);
    FAIL() << "continued a base with 12 fc8 outputs into a net with 10";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(cont.base), std::string::npos) << m;
    EXPECT_NE(m.find("fc8"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace xfer
