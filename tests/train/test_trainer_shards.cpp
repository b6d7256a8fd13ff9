// test_trainer_shards.cpp: the trainer on real shards: Fashion-MNIST
// converted by xfer_prep_fmnist, a base on half0A, then a frozen AnB transfer
// on half0B that uses the base's mean image (as the paper did), end to end
// through the xfer_train binary; and runs that resume after their data or
// results were reached another way (a symlink, a moved folder, a copy).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "net/checkpoint.h"
#include "net/net_fixtures.h"

namespace fs = std::filesystem;

namespace xfer {
namespace {

const char* kFashion = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";

// The exit status of `cmd` (its output is dropped).
int sh(const std::string& cmd) { return testing::run_command(cmd, nullptr); }

TEST(TrainerOnShards, BaseThenFrozenTransferWithTheBaseMean) {
  if (!fs::exists(kFashion)) GTEST_SKIP() << kFashion << " is absent (apt-get install dataset-fashion-mnist)";
  const std::string bin = testing::bin_dir();
  testing::TempDir scratch("trainer_shards");
  const std::string dir = scratch.str();
  ASSERT_EQ(sh(bin + "/xfer_prep_fmnist --out " + dir + "/data"), 0);
  const std::string common = " --network small --threads 1 --max-iter 60 --batch 32 --test-interval 30 "
                             "--test-batches 8 --display 30";
  ASSERT_EQ(sh(bin + "/xfer_train" + common + " --data " + dir + "/data/half0A --out " + dir + "/base"), 0);
  ASSERT_EQ(sh(bin + "/xfer_train" + common + " --data " + dir + "/data/half0B --out " + dir +
               "/xfer --base " + dir + "/base/final.h5 --transfer-n 3 --transfer-mode frozen"),
            0);
  std::ifstream f(dir + "/base/result.json");
  auto r = nlohmann::json::parse(f);
  EXPECT_EQ(r["num_classes"], 5);
  // Five classes: chance is 0.2; a minute of training is far above it.
  EXPECT_GT(r["statistic"]["best_top1"].get<double>(), 0.5);
  auto base = read_checkpoint_state(dir + "/base/final.h5");
  auto xfer = read_checkpoint_state(dir + "/xfer/final.h5");
  ASSERT_EQ(base.mean.size(), 28u * 28u);
  EXPECT_EQ(xfer.mean, base.mean);  // not half0B's own mean
  auto own = read_checkpoint_state(dir + "/base/final.h5");
  EXPECT_EQ(own.rng[0], 1u);  // the run seed
}

// ---------------------------------------------------------------------------
// Relocation: the run identity names the data and the base by content.

class TrainerRelocation : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kFashion)) GTEST_SKIP() << kFashion << " is absent (apt-get install dataset-fashion-mnist)";
    bin_ = testing::bin_dir();
    dir_ = scratch_.str();
    ASSERT_EQ(sh(bin_ + "/xfer_prep_fmnist --out " + dir_ + "/data"), 0);
  }
  // xfer_train's exit code; its output goes to <dir>/<log>.
  int train(const std::string& args, const std::string& log) {
    const std::string cmd = bin_ + "/xfer_train --network small --threads 1 --max-iter 40 --batch 32 "
                            "--test-interval 20 --test-batches 4 --display 20 " + args + " > " +
                            dir_ + "/" + log + " 2>&1";
    return testing::run_command(cmd).code;
  }
  std::string log(const std::string& name) {
    std::ifstream f(dir_ + "/" + name);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  testing::TempDir scratch_{"trainer_relocation"};
  std::string bin_, dir_;
};

TEST_F(TrainerRelocation, ResumesThroughASymlinkToTheSameShards) {
  const std::string run = " --out " + dir_ + "/base";
  ASSERT_EQ(train("--data " + dir_ + "/data/half0A --stop-after 20" + run, "first.log"), 75) << log("first.log");
  fs::create_directory_symlink(dir_ + "/data/half0A", dir_ + "/link");
  ASSERT_EQ(train("--data " + dir_ + "/link" + run, "second.log"), 0) << log("second.log");
  EXPECT_NE(log("second.log").find("resuming"), std::string::npos) << log("second.log");
}

TEST_F(TrainerRelocation, TransferResumesAfterTheResultsFolderMoved) {
  const std::string data = "--data " + dir_ + "/data/";
  ASSERT_EQ(train(data + "half0A --out " + dir_ + "/results/base", "base.log"), 0) << log("base.log");
  const std::string transfer = " --transfer-n 3 --transfer-mode finetune";
  ASSERT_EQ(train(data + "half0B --base " + dir_ + "/results/base/final.h5 --out " + dir_ +
                      "/results/xfer --stop-after 20" + transfer, "first.log"),
            75)
      << log("first.log");
  fs::rename(dir_ + "/results", dir_ + "/moved");
  ASSERT_EQ(train(data + "half0B --base " + dir_ + "/moved/base/final.h5 --out " + dir_ +
                      "/moved/xfer" + transfer, "second.log"),
            0)
      << log("second.log");
  EXPECT_NE(log("second.log").find("resuming"), std::string::npos) << log("second.log");
}

TEST_F(TrainerRelocation, ResumesOnACopyOfItsDataButNotOnOtherData) {
  const std::string run = " --out " + dir_ + "/base";
  ASSERT_EQ(train("--data " + dir_ + "/data/half0A --stop-after 20" + run, "first.log"), 75) << log("first.log");
  // Other images under the same folder name (the other half's view, of a
  // copy of the store): another configuration, refused.
  fs::create_directory(dir_ + "/other");
  fs::copy(dir_ + "/data/all", dir_ + "/other/all", fs::copy_options::recursive);
  fs::copy(dir_ + "/data/half0B", dir_ + "/other/half0A", fs::copy_options::recursive);
  ASSERT_EQ(train("--data " + dir_ + "/other/half0A" + run, "other.log"), 1) << log("other.log");
  EXPECT_NE(log("other.log").find("another configuration"), std::string::npos) << log("other.log");
  // The same view and store copied to another file system path: resumes.
  fs::create_directory(dir_ + "/copy");
  fs::copy(dir_ + "/data/all", dir_ + "/copy/all", fs::copy_options::recursive);
  fs::copy(dir_ + "/data/half0A", dir_ + "/copy/half0A", fs::copy_options::recursive);
  ASSERT_EQ(train("--data " + dir_ + "/copy/half0A" + run, "second.log"), 0) << log("second.log");
  EXPECT_NE(log("second.log").find("resuming"), std::string::npos) << log("second.log");
}

}  // namespace
}  // namespace xfer
