// test_trainer_shards.cpp: the trainer on real shards: Fashion-MNIST
// converted by xfer_prep_fmnist, a base on half0A, then a frozen AnB transfer
// on half0B that uses the base's mean image (as the paper did), end to end
// through the xfer_train binary.
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

int sh(const std::string& cmd) { return std::system((cmd + " > /dev/null 2>&1").c_str()); }

TEST(TrainerOnShards, BaseThenFrozenTransferWithTheBaseMean) {
  if (!fs::exists(kFashion)) GTEST_SKIP() << kFashion << " is absent (apt-get install dataset-fashion-mnist)";
  const std::string bin = std::getenv("XFER_BIN_DIR");
  auto dir = testing::temp_dir("trainer_shards");
  ASSERT_EQ(sh(bin + "/xfer_prep_fmnist --out " + dir + "/data"), 0);
  const std::string common = " --preset small --threads 1 --max-iter 60 --batch 32 --test-interval 30 "
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

}  // namespace
}  // namespace xfer
