// test_cuda_training.cpp: whole training steps on the CUDA backend. One SGD
// step of the small preset and of CaffeNet from the same initial weights
// and batch lands on the same weights as the CPU backend (each layer's
// update within 1e-3 (small) / 2e-3 (CaffeNet) of its largest element:
// eight layers of differently rounded sums, and ReLU units sitting at zero
// can flip), and a frozen-n step leaves layers 1..n bit-identical on the GPU.
// Skipped, with a message, without a GPU.
#include <gtest/gtest.h>

#include <cstring>

#include "gpu_test_util.h"
#include "net/net.h"
#include "solver/sgd.h"

namespace xfer {
namespace {

using testing::near_all;
using testing::random_vector;

HostBatch make_batch(const NetSpec& spec, int n, int classes, uint64_t seed) {
  HostBatch b;
  b.n = n;
  b.c = spec.channels;
  b.h = b.w = spec.crop;
  b.images = random_vector(size_t(n) * b.c * b.h * b.w, seed, 20.f);
  Rng r(seed + 1);
  for (int i = 0; i < n; ++i) b.labels.push_back(int32_t(r.next_u64() % classes));
  return b;
}

struct StepResult {
  LossStats loss;
  std::vector<float> before, after;
};

StepResult train_step(Backend& be, const std::string& preset, int batch, int outputs, int frozen,
                      int steps) {
  const NetSpec spec = net_preset(preset);
  Net net(be, spec, batch, outputs);
  net.init_params(2024);
  net.set_frozen(frozen);
  SgdSolver solver(net, spec.solver);
  StepResult r;
  r.before = net.params().to_host();
  for (int s = 0; s < steps; ++s) {
    const HostBatch b = make_batch(spec, batch, outputs, 100 + s);
    r.loss = net.forward(b, PassContext{true, 99, uint64_t(s)});
    net.backward(1.f / batch);
    solver.update(s);
  }
  r.after = net.params().to_host();
  return r;
}

void expect_same_step(const std::string& preset, int batch, int outputs, float tol) {
  auto cpu = make_backend("cpu", 0, 2);
  auto gpu = make_backend("cuda", 0);
  const StepResult c = train_step(*cpu, preset, batch, outputs, 0, 1);
  const StepResult g = train_step(*gpu, preset, batch, outputs, 0, 1);
  ASSERT_EQ(c.before.size(), g.before.size());
  ASSERT_EQ(0, std::memcmp(c.before.data(), g.before.data(), c.before.size() * sizeof(float)))
      << "the same seed must give the same initial weights";
  EXPECT_NEAR(g.loss.loss_sum, c.loss.loss_sum, 1e-4 * std::fabs(c.loss.loss_sum));
  // Compare each layer's update, so the tolerance scales with that layer.
  Net layout(*cpu, net_preset(preset), batch, outputs);
  for (const auto& p : layout.slots()) {
    for (auto [off, cnt, what] : {std::tuple{p.offset, p.weight_count, "weights"},
                                  std::tuple{p.offset + p.weight_count, p.bias_count, "bias"}}) {
      std::vector<float> dc(cnt), dg(cnt);
      for (size_t i = 0; i < cnt; ++i) {
        dc[i] = c.after[off + i] - c.before[off + i];
        dg[i] = g.after[off + i] - g.before[off + i];
      }
      EXPECT_TRUE(near_all(dg, dc, tol)) << p.layer->name() << " " << what << " update";
    }
  }
}

TEST(CudaTraining, SmallPresetStepMatchesCpu) {
  XFER_REQUIRE_GPU();
  expect_same_step("small", 16, 10, 1e-3f);
}

TEST(CudaTraining, CaffenetStepMatchesCpu) {
  XFER_REQUIRE_GPU();
  expect_same_step("caffenet", 4, 1000, 2e-3f);
}

TEST(CudaTraining, FrozenLayersStayBitIdentical) {
  XFER_REQUIRE_GPU();
  auto gpu = make_backend("cuda", 0);
  for (int frozen : {1, 3, 5, 7}) {
    SCOPED_TRACE("frozen " + std::to_string(frozen));
    const StepResult r = train_step(*gpu, "small", 16, 10, frozen, 2);
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
