// test_data_parallel.cpp: xfer_train under `mpirun -np 2`: 2 ranks x batch b
// train the same model as 1 rank x batch 2b; a frozen run reduces only the
// trainable layers; one rank failing on bad input ends both, promptly, with
// a message naming the rank; a diverging loss stops every rank at once.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "net/checkpoint.h"
#include "net/net_fixtures.h"

namespace xfer {
namespace {

std::string bin() { return testing::bin_dir() + "/xfer_train"; }

// Runs a shell command as root may run mpirun; its exit status, and its
// output in `out`.
int run(const std::string& cmd, std::string* out = nullptr) {
  return testing::run_command("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " + cmd, out);
}

const std::string kMpirun = "mpirun -np 2 --oversubscribe --bind-to none ";
const std::string kCommon =
    " --network small --threads 1 --dropout-ratio 0 --max-iter 12 --test-interval 6 --display 6"
    " --synthetic-train 256 --synthetic-val 64";

std::vector<float> final_weights(const std::string& dir) {
  auto be = make_backend("cpu", 0, 1);
  Net net(*be, net_preset("small"), 1, 10);
  load_checkpoint(dir + "/final.h5", net);
  return net.params().to_host();
}

nlohmann::json result(const std::string& dir) {
  std::ifstream f(dir + "/result.json");
  return nlohmann::json::parse(f);
}

TEST(DataParallel, TwoRanksTrainWhatOneRankTrains) {
  testing::TempDir scratch("dp_equiv");
  const std::string dir = scratch.str();
  std::string log;
  ASSERT_EQ(run(kMpirun + bin() + kCommon + " --batch 32 --out " + dir + "/r2", &log), 0) << log;
  ASSERT_EQ(run(bin() + kCommon + " --batch 32 --out " + dir + "/r1", &log), 0) << log;
  auto a = final_weights(dir + "/r1"), b = final_weights(dir + "/r2");
  ASSERT_EQ(a.size(), b.size());
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, double(std::fabs(a[i] - b[i])));
    norm = std::max(norm, double(std::fabs(a[i])));
  }
  EXPECT_LT(diff, 1e-5 * std::max(1.0, norm)) << "largest weight difference " << diff;
  EXPECT_EQ(result(dir + "/r2")["ranks"], 2);
}

TEST(DataParallel, FrozenRunReducesOnlyTrainableLayers) {
  testing::TempDir scratch("dp_frozen");
  const std::string dir = scratch.str();
  std::string log;
  ASSERT_EQ(run(kMpirun + bin() + kCommon + " --batch 16 --transfer-mode random --transfer-n 5 --out " +
                dir + "/r", &log), 0) << log;
  auto be = make_backend("cpu", 0, 1);
  Net net(*be, net_preset("small"), 1, 10);
  net.set_frozen(5);
  EXPECT_EQ(result(dir + "/r")["comm"]["bytes_per_step"].get<double>(),
            double(net.trainable_count() * sizeof(float)));
  EXPECT_LT(net.trainable_count(), net.param_count());
}

TEST(DataParallel, OneFailingRankEndsTheJob) {
  testing::TempDir scratch("dp_fail");
  const std::string dir = scratch.str();
  std::string log;
  auto t0 = std::chrono::steady_clock::now();
  // MPMD: rank 1 gets a data folder that does not exist.
  int rc = run("timeout 120 mpirun --oversubscribe --bind-to none -np 1 " + bin() + kCommon +
                   " --batch 16 --out " + dir + "/a : -np 1 " + bin() + kCommon +
                   " --batch 16 --out " + dir + "/a --data " + dir + "/no-such-data",
               &log);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(rc, 0) << log;
  EXPECT_NE(rc, 124) << "the job hung until the timeout:\n" << log;
  EXPECT_LT(secs, 60) << log;
  EXPECT_NE(log.find("rank 1/2"), std::string::npos) << log;
  EXPECT_NE(log.find("no-such-data"), std::string::npos) << log;
}

// A loss that goes NaN stops every rank at the same step (no rank left in a
// collective), with the divergence exit code and a result that says so.
TEST(DataParallel, DivergenceStopsEveryRankWithExitThree) {
  testing::TempDir scratch("dp_diverge");
  const std::string dir = scratch.str();
  std::string log;
  int rc = run("timeout 120 " + kMpirun + bin() + kCommon + " --batch 16 --base-lr 1000 --out " +
                   dir + "/r",
               &log);
  EXPECT_EQ(rc, 3) << log;
  EXPECT_NE(log.find("diverged at iteration"), std::string::npos) << log;
  auto r = result(dir + "/r");
  EXPECT_EQ(r["status"], "diverged");
  EXPECT_EQ(r["ranks"], 2);
}

}  // namespace
}  // namespace xfer
