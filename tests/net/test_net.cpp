// test_net.cpp: the network as the paper describes it: CaffeNet's shapes
// and parameter count, the frozen backward, and overfitting one batch.
#include <gtest/gtest.h>

#include "backend/backend.h"
#include "net/net_fixtures.h"
#include "solver/sgd.h"

namespace xfer {

namespace testing {
void train_step(Net& net, const HostBatch& b, int64_t iter) {
  SgdSolver solver(net, net.spec().solver);
  net.forward(b, PassContext{true, 11, uint64_t(iter)});
  net.backward(1.f / b.n);
  solver.update(iter);
}
}  // namespace testing

namespace {

TEST(Net, CaffeNetShapesAndParameterCount) {
  auto be = make_backend("cpu", 0, 1);
  Net net(*be, net_preset("caffenet"), 1, 1000);
  // CaffeNet with 1000 outputs has 60,965,224 parameters.
  EXPECT_EQ(net.param_count(), 60965224u);
  EXPECT_EQ(net.slot("conv1").weight_count, 96u * 3 * 11 * 11);
  EXPECT_EQ(net.slot("conv2").weight_count, 256u * 48 * 5 * 5);  // two groups
  EXPECT_EQ(net.slot("conv4").weight_count, 384u * 192 * 3 * 3);
  EXPECT_EQ(net.slot("fc6").weight_count, 4096u * 256 * 6 * 6);  // pool5 is 6x6
  EXPECT_EQ(net.slot("fc8").weight_count, 4096u * 1000);
  // Stored top layer first.
  EXPECT_EQ(net.slots().front().layer->name(), "fc8");
  EXPECT_EQ(net.slots().back().layer->name(), "conv1");
}

TEST(Net, Fc8OutputsCanExceedClasses) {
  auto be = make_backend("cpu", 0, 1);
  NetSpec spec = net_preset("small");
  Net net(*be, spec, 4, 20);  // 20 logits for 10 classes, as the paper's 1000 for 500
  auto b = testing::synthetic_batch(spec, 4, 10);
  LossStats s = net.forward(b, PassContext{false, 0, 0});
  EXPECT_EQ(s.count, 4);
  EXPECT_GT(s.loss_sum, 0);
}

TEST(Net, FrozenLayersGetNoGradients) {
  auto be = make_backend("cpu", 0, 1);
  NetSpec spec = net_preset("small");
  Net net(*be, spec, 8, 10);
  net.init_params(3);
  net.set_frozen(3);
  auto b = testing::synthetic_batch(spec, 8, 10);
  // Poison the gradient buffer: frozen layers' parts must stay untouched.
  std::vector<float> poison(net.param_count(), 123.f);
  net.grads().from_host(poison);
  net.forward(b, PassContext{true, 1, 0});
  net.backward(1.f / 8);
  auto g = net.grads().to_host();
  for (const auto& p : net.slots()) {
    bool untouched = true;
    for (size_t i = p.offset; i < p.offset + p.count(); ++i) untouched &= g[i] == 123.f;
    EXPECT_EQ(untouched, p.transfer_index <= 3) << p.layer->name();
  }
  EXPECT_EQ(net.trainable_count(), net.slot("conv4").offset + net.slot("conv4").count());
}

TEST(Net, OverfitsOneBatch) {
  auto be = make_backend("cpu", 0, 1);
  NetSpec spec = net_preset("small");
  for (auto& l : spec.layers)
    if (l.type == LayerType::Dropout) l.dropout_ratio = 0.f;
  Net net(*be, spec, 16, 10);
  net.init_params(5);
  auto b = testing::synthetic_batch(spec, 16, 10, 77);
  double first = 0, last = 0;
  for (int it = 0; it < 150; ++it) {
    LossStats s = net.forward(b, PassContext{true, 1, uint64_t(it)});
    if (it == 0) first = s.loss_sum / 16;
    last = s.loss_sum / 16;
    net.backward(1.f / 16);
    SgdSolver(net, spec.solver).update(it);
  }
  EXPECT_GT(first, 1.5);  // about ln(10) at the start
  EXPECT_LT(last, 0.05) << "the net failed to overfit one batch (loss " << first << " -> " << last << ")";
}

}  // namespace
}  // namespace xfer
