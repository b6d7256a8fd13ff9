// test_cuda_training.cpp: whole training steps on the CUDA backend. One SGD
// step of the small preset and of CaffeNet from the same initial weights
// and batch gives the same loss and, tensor by tensor, the same gradients as
// the CPU backend within step_compare.h's relative L2 bound (why that check
// and not weight changes: see there; test_step_compare shows on the CPU that
// it tolerates rounding and catches real bugs). A frozen-n step leaves
// layers 1..n bit-identical on the GPU, and two runs on fresh backends (new
// handles, algorithms chosen anew, as in a resumed process) end on the same
// bits. Skipped, with a message, without a GPU.
#include <gtest/gtest.h>

#include <cstring>

#include "gpu_test_util.h"
#include "step_compare.h"

namespace xfer {
namespace {

using testing::run_steps;
using testing::same_gradients;
using testing::StepRun;

void expect_same_step(const std::string& preset, int batch, int outputs) {
  auto cpu = make_backend("cpu", 0, 2);
  auto gpu = make_backend("cuda", 0);
  const NetSpec spec = net_preset(preset);
  const StepRun c = run_steps(*cpu, spec, batch, outputs, 0, 1);
  const StepRun g = run_steps(*gpu, spec, batch, outputs, 0, 1);
  ASSERT_EQ(c.before.size(), g.before.size());
  ASSERT_EQ(0, std::memcmp(c.before.data(), g.before.data(), c.before.size() * sizeof(float)))
      << "the same seed must give the same initial weights";
  EXPECT_NEAR(g.loss.loss_sum, c.loss.loss_sum, 1e-4 * std::fabs(c.loss.loss_sum));
  EXPECT_TRUE(same_gradients(g, c));
}

TEST(CudaTraining, SmallPresetStepMatchesCpu) {
  XFER_REQUIRE_GPU();
  expect_same_step("small", 16, 10);
}

TEST(CudaTraining, CaffenetStepMatchesCpu) {
  XFER_REQUIRE_GPU();
  expect_same_step("caffenet", 4, 1000);
}

// What a resumed run relies on: the algorithm choice and every kernel are
// deterministic, so a second process repeats the first bit for bit.
TEST(CudaTraining, RunsRepeatBitIdenticallyOnFreshBackends) {
  XFER_REQUIRE_GPU();
  std::vector<StepRun> runs;
  for (int r = 0; r < 2; ++r) {
    auto gpu = make_backend("cuda", 0);
    runs.push_back(run_steps(*gpu, net_preset("small"), 16, 10, 0, 3));
  }
  ASSERT_EQ(runs[0].after.size(), runs[1].after.size());
  EXPECT_EQ(0, std::memcmp(runs[0].after.data(), runs[1].after.data(),
                           runs[0].after.size() * sizeof(float)))
      << "two runs from the same seed and batches differ on the GPU";
}

TEST(CudaTraining, FrozenLayersStayBitIdentical) {
  XFER_REQUIRE_GPU();
  auto gpu = make_backend("cuda", 0);
  for (int frozen : {1, 3, 5, 7}) {
    SCOPED_TRACE("frozen " + std::to_string(frozen));
    const StepRun r = run_steps(*gpu, net_preset("small"), 16, 10, frozen, 2);
    Net layout(*gpu, net_preset("small"), 16, 10);
    for (const auto& p : layout.slots()) {
      const bool same = std::memcmp(r.after.data() + p.offset, r.before.data() + p.offset,
                                    p.count() * sizeof(float)) == 0;
      if (p.transfer_index <= frozen)
        EXPECT_TRUE(same) << p.layer->name() << " is frozen but changed";
      else
        EXPECT_FALSE(same) << p.layer->name() << " trains but did not change";
    }
  }
}

}  // namespace
}  // namespace xfer
