// test_transfer.cpp: the transfer operations: copy layers 1..n by name,
// frozen copies stay bit-identical through training, fine-tuned ones move,
// fc8 is never copied, the random-filter control freezes its random layers,
// and the continued base copies every layer, fc8 included.
#include <gtest/gtest.h>

#include "backend/backend.h"
#include "core/check.h"
#include "net/checkpoint.h"
#include "net/net_fixtures.h"
#include "test_util.h"

namespace xfer {
namespace {

std::vector<float> layer_values(Net& net, const std::string& name) {
  auto all = net.params().to_host();
  const auto& p = net.slot(name);
  return {all.begin() + p.offset, all.begin() + p.offset + p.count()};
}

class Transfer : public ::testing::Test {
 protected:
  void SetUp() override {
    be = make_backend("cpu", 0, 1);
    spec = net_preset("small");
    dir = scratch.str();
    Net base(*be, spec, 8, 10);
    base.init_params(1);
    auto b = testing::synthetic_batch(spec, 8, 10);
    for (int i = 0; i < 3; ++i) testing::train_step(base, b, i);
    for (const auto& p : base.slots()) base_values[p.layer->name()] = layer_values(base, p.layer->name());
    save_checkpoint(dir + "/base.h5", base, TrainState{});
  }
  std::unique_ptr<Backend> be;
  NetSpec spec;
  testing::TempDir scratch{"transfer"};
  std::string dir;
  std::map<std::string, std::vector<float>> base_values;
};

TEST_F(Transfer, FrozenLayersStayBitIdentical) {
  for (int n : {1, 3, 7}) {
    Net net(*be, spec, 8, 10);
    net.init_params(2);
    copy_layers(dir + "/base.h5", net, n);
    net.set_frozen(n);
    auto b = testing::synthetic_batch(spec, 8, 10, 9);
    for (int i = 0; i < 3; ++i) testing::train_step(net, b, i);
    for (const auto& p : net.slots()) {
      const auto& name = p.layer->name();
      if (p.transfer_index <= n)
        EXPECT_EQ(layer_values(net, name), base_values[name]) << name << " n=" << n;
      else
        EXPECT_NE(layer_values(net, name), base_values[name]) << name << " n=" << n;
    }
  }
}

TEST_F(Transfer, FineTunedLayersMoveAndFc8IsNeverCopied) {
  Net net(*be, spec, 8, 10);
  net.init_params(2);
  auto fc8_init = layer_values(net, "fc8");
  copy_layers(dir + "/base.h5", net, 7);
  EXPECT_EQ(layer_values(net, "conv1"), base_values["conv1"]);
  EXPECT_EQ(layer_values(net, "fc7"), base_values["fc7"]);
  EXPECT_EQ(layer_values(net, "fc8"), fc8_init);  // re-initialised, not the base's
  auto b = testing::synthetic_batch(spec, 8, 10, 9);
  testing::train_step(net, b, 0);
  for (const char* name : {"conv1", "conv3", "fc7"})
    EXPECT_NE(layer_values(net, name), base_values[name]) << name;
}

TEST_F(Transfer, RandomFilterControlKeepsItsInitialisation) {
  Net net(*be, spec, 8, 10);
  net.init_params(4);
  net.set_frozen(2);
  auto conv1 = layer_values(net, "conv1"), conv2 = layer_values(net, "conv2");
  auto b = testing::synthetic_batch(spec, 8, 10, 9);
  for (int i = 0; i < 2; ++i) testing::train_step(net, b, i);
  EXPECT_EQ(layer_values(net, "conv1"), conv1);
  EXPECT_EQ(layer_values(net, "conv2"), conv2);
  EXPECT_NE(layer_values(net, "conv1"), base_values["conv1"]);
}

TEST_F(Transfer, ContinuedBaseCopiesEveryLayerIncludingFc8AndTrainsThemAll) {
  Net net(*be, spec, 8, 10);
  net.init_params(2);
  const auto fresh = net.params().to_host();
  copy_all_layers(dir + "/base.h5", net);
  for (const auto& p : net.slots())
    EXPECT_EQ(layer_values(net, p.layer->name()), base_values[p.layer->name()]) << p.layer->name();
  EXPECT_NE(net.params().to_host(), fresh);
  for (float m : net.momentum().to_host()) ASSERT_EQ(m, 0.f);  // the schedule starts again
  EXPECT_EQ(net.trainable_count(), net.param_count());
  auto b = testing::synthetic_batch(spec, 8, 10, 9);
  testing::train_step(net, b, 0);
  for (const auto& p : net.slots())
    EXPECT_NE(layer_values(net, p.layer->name()), base_values[p.layer->name()]) << p.layer->name();
}

TEST_F(Transfer, ContinuedBaseRefusesAnotherFc8NamingTheFile) {
  Net net(*be, spec, 8, 12);  // fc8 with 12 outputs, the base's has 10
  const std::string m = testing::error_of([&] { copy_all_layers(dir + "/base.h5", net); });
  ASSERT_FALSE(m.empty()) << "an fc8 of another shape was accepted";
  for (const char* part : {"base.h5", "fc8", "[10x", "[12x"}) EXPECT_NE(m.find(part), std::string::npos) << m;
}

TEST_F(Transfer, ShapeMismatchNamesTheLayer) {
  NetSpec other = spec;
  other.layers[0].outputs = 16;  // conv1 with 16 filters instead of 32
  Net net(*be, other, 8, 10);
  const std::string m = testing::error_of([&] { copy_layers(dir + "/base.h5", net, 1); });
  ASSERT_FALSE(m.empty()) << "a conv1 of another shape was accepted";
  for (const char* part : {"conv1", "[32x1x3x3]", "[16x1x3x3]"}) EXPECT_NE(m.find(part), std::string::npos) << m;
}

}  // namespace
}  // namespace xfer
