// test_residual.cpp: a network with residual sums and batch normalisation,
// written out as a list of layers: its whole-net gradients against finite
// differences (a block input's gradient is the sum of its two paths), the
// truncated backward skipping exactly the frozen stages through a sum, and
// frozen batch normalisations that keep their parameters and statistics.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include <hdf5.h>

#include "backend/backend.h"
#include "io/h5.h"
#include "net/checkpoint.h"
#include "net/net_fixtures.h"
#include "solver/sgd.h"

namespace xfer {
namespace {

LayerSpec conv(const std::string& name, int stage, int out, int k, int stride, std::vector<std::string> in = {}) {
  return {.name = name, .type = LayerType::Conv, .inputs = std::move(in), .transfer_index = stage, .outputs = out,
          .kernel = k, .stride = stride, .pad = k / 2, .weight_std = 0.3f, .bias_value = 0.1f};
}
LayerSpec bn(const std::string& name, int stage, bool relu) {
  return {.name = name, .type = LayerType::BatchNorm, .transfer_index = stage, .relu = relu, .weight_std = 0.f,
          .bias_value = 0.05f};
}
LayerSpec add(const std::string& name, std::vector<std::string> in) {
  return {.name = name, .type = LayerType::Add, .inputs = std::move(in), .relu = true};
}

// Stage 1 a stem, 2 a block of its width, 3 a block that halves the size
// through a strided 1x1 projection on its shortcut, 4 the classifier.
NetSpec residual_spec() {
  NetSpec s;
  s.preset = "residual-test";
  s.channels = 2;
  s.stored_size = s.crop = 8;
  s.layers = {conv("stem", 1, 4, 3, 1),       bn("stem_bn", 1, true),
              conv("b1a", 2, 4, 3, 1),        bn("b1a_bn", 2, true),
              conv("b1b", 2, 4, 3, 1),        bn("b1b_bn", 2, false),
              add("b1", {"stem_bn", "b1b_bn"}),
              conv("b2a", 3, 6, 3, 2),        bn("b2a_bn", 3, true),
              conv("b2b", 3, 6, 3, 1),        bn("b2b_bn", 3, false),
              conv("b2p", 3, 6, 1, 2, {"b1"}), bn("b2p_bn", 3, false),
              add("b2", {"b2b_bn", "b2p_bn"}),
              {.name = "fc", .type = LayerType::InnerProduct, .transfer_index = 4, .weight_std = 0.1f}};
  for (auto& l : s.layers)
    if (l.type == LayerType::Conv) {
      l.relu = false;  // the ReLUs come after the batch normalisations,
      l.bias = false;  // which make a bias redundant (ResNet's convolutions have none)
    }
  return s;
}

constexpr int kBatch = 6, kClasses = 5;

double loss_of(Net& net, const HostBatch& b) { return net.forward(b, PassContext{true, 1, 0}).loss_sum; }

TEST(Residual, WholeNetGradientsMatchFiniteDifferences) {
  auto be = make_backend("cpu", 0, 1);
  // Without the ReLUs, which make the loss of a whole net too rough for
  // finite differences (each layer's ReLU has its own check, op_cases).
  NetSpec spec = residual_spec();
  for (auto& l : spec.layers)
    if (l.type != LayerType::InnerProduct) l.relu = false;
  Net net(*be, spec, kBatch, kClasses);
  net.init_params(3);
  const HostBatch b = testing::synthetic_batch(spec, kBatch, kClasses, 9);
  loss_of(net, b);
  net.backward(1.f);
  const std::vector<float> analytic = net.grads().to_host();
  std::vector<float> w = net.params().to_host();
  const float eps = 1e-2f;
  int checked = 0, bad = 0;
  for (const ParamSlot& p : net.slots())
    for (size_t k = 0; k < 6; ++k) {
      const size_t i = p.offset + (k * 7919) % p.count();
      const float v = w[i];
      w[i] = v + eps;
      net.params().from_host(w);
      const double lp = loss_of(net, b);
      w[i] = v - eps;
      net.params().from_host(w);
      const double lm = loss_of(net, b);
      w[i] = v;
      net.params().from_host(w);
      const double numeric = (lp - lm) / (2 * eps);
      const double scale = std::max({std::fabs(numeric), std::fabs(double(analytic[i])), 1e-2});
      ++checked;
      if (std::fabs(numeric - analytic[i]) / scale > 1e-2 && ++bad <= 5)
        ADD_FAILURE() << p.layer->name() << "[" << i - p.offset << "]: analytic " << analytic[i] << " numeric "
                      << numeric;
    }
  EXPECT_EQ(checked, 6 * int(net.slots().size()));
  EXPECT_EQ(bad, 0);
}

// Frozen stages 1 and 2 (their batch normalisations frozen too): backward
// runs down to stage 3 only, through the sum of b2 and its projection, and
// reports stage 3's and 4's layers alone, top down; 100 steps leave stages 1
// and 2 bit-identical, parameters and running statistics alike.
TEST(Residual, FrozenStagesSkipTheirBackwardAndKeepEveryBit) {
  auto be = make_backend("cpu", 0, 1);
  const NetSpec spec = residual_spec();
  Net net(*be, spec, kBatch, kClasses);
  net.init_params(4);
  net.set_bn_mode(2, BnMode::Frozen);
  net.set_frozen(2);
  std::vector<std::string> reported;
  net.on_gradients_ready([&](size_t offset, size_t) {
    for (const ParamSlot& p : net.slots())
      if (p.offset == offset) reported.push_back(p.layer->name());
  });
  const HostBatch b = testing::synthetic_batch(spec, kBatch, kClasses, 10);
  std::vector<float> poison(net.param_count(), 123.f);
  net.grads().from_host(poison);
  const std::vector<float> w0 = net.params().to_host(), s0 = net.buffers().to_host();
  SgdSolver solver(net, spec.solver);
  for (int it = 0; it < 100; ++it) {
    net.forward(b, PassContext{true, 1, uint64_t(it)});
    net.backward(1.f / kBatch);
    solver.update(it);
    if (it == 0) {
      EXPECT_EQ(reported, (std::vector<std::string>{"fc", "b2p_bn", "b2p", "b2b_bn", "b2b", "b2a_bn", "b2a"}));
    }
  }
  const std::vector<float> w = net.params().to_host(), s = net.buffers().to_host(), g = net.grads().to_host();
  for (const ParamSlot& p : net.slots()) {
    const bool frozen = p.transfer_index <= 2;
    EXPECT_EQ(std::equal(w.begin() + long(p.offset), w.begin() + long(p.offset + p.count()), w0.begin() + long(p.offset)),
              frozen)
        << p.layer->name();
    if (frozen) {
      EXPECT_TRUE(std::all_of(g.begin() + long(p.offset), g.begin() + long(p.offset + p.count()),
                              [](float v) { return v == 123.f; }))
          << p.layer->name() << ": a frozen stage ran its backward";
    }
    if (p.buffer_count) {
      EXPECT_EQ(std::equal(s.begin() + long(p.buffer_offset), s.begin() + long(p.buffer_offset + p.buffer_count),
                           s0.begin() + long(p.buffer_offset)),
                frozen)
          << p.layer->name() << "'s running statistics";
    }
  }
}

// Fine-tuned with the copied batch normalisations frozen (torchvision's
// detection backbones): the copied convolutions train, their batch
// normalisations keep their parameters and statistics, and the ranges
// reported for the allreduce stay one prefix of the flat buffers.
TEST(Residual, FineTunedWithFrozenBatchNormTrainsTheConvolutionsOnly) {
  auto be = make_backend("cpu", 0, 1);
  const NetSpec spec = residual_spec();
  Net net(*be, spec, kBatch, kClasses);
  net.init_params(5);
  net.set_bn_mode(3, BnMode::Frozen);
  net.set_frozen(0);
  size_t next = 0;
  net.on_gradients_ready([&](size_t offset, size_t count) {
    EXPECT_EQ(offset, offset == 0 ? 0 : next);  // each step from the top
    next = offset + count;
  });
  const HostBatch b = testing::synthetic_batch(spec, kBatch, kClasses, 11);
  const std::vector<float> w0 = net.params().to_host(), s0 = net.buffers().to_host();
  SgdSolver solver(net, spec.solver);
  for (int it = 0; it < 5; ++it) {
    net.forward(b, PassContext{true, 1, uint64_t(it)});
    net.backward(1.f / kBatch);
    solver.update(it);
  }
  EXPECT_EQ(next, net.param_count());
  const std::vector<float> w = net.params().to_host(), s = net.buffers().to_host();
  for (const ParamSlot& p : net.slots()) {
    const bool fixed = p.layer->spec().type == LayerType::BatchNorm && p.transfer_index <= 3;
    EXPECT_EQ(std::equal(w.begin() + long(p.offset), w.begin() + long(p.offset + p.count()), w0.begin() + long(p.offset)),
              fixed)
        << p.layer->name();
    if (p.buffer_count) {
      EXPECT_TRUE(std::equal(s.begin() + long(p.buffer_offset), s.begin() + long(p.buffer_offset + p.buffer_count),
                             s0.begin() + long(p.buffer_offset)))
          << p.layer->name() << "'s running statistics moved";
    }
  }
}

TEST(Residual, ADanglingOutputOrAnUnknownInputIsRefusedNamingTheLayer) {
  NetSpec spec = residual_spec();
  spec.layers[6].inputs = {"stem_bn", "nope"};
  EXPECT_NE(testing::error_of([&] { plan_net(spec, 2, 3); }).find("layer b1 takes 'nope', which is not a layer before it"),
            std::string::npos);
  spec = residual_spec();
  spec.layers[6].inputs = {"b1b_bn", "b1b_bn"};  // the sum no longer takes stem_bn
  spec.layers[2].inputs = {"stem"};              // stem_bn is taken by no layer
  EXPECT_NE(testing::error_of([&] { plan_net(spec, 2, 3); }).find("the output of layer stem_bn is taken by no layer"),
            std::string::npos);
}

}  // namespace
}  // namespace xfer

namespace xfer {
namespace {

// Rewrites a checkpoint as version 1 wrote it: no /buffers, schema_version 1.
void make_version_1(const std::string& path) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  if (H5Lexists(f, "/buffers", H5P_DEFAULT) > 0) H5Ldelete(f, "/buffers", H5P_DEFAULT);
  H5Adelete(f, "schema_version");
  h5_write_attr_int(f, "schema_version", 1, path);
  H5Fclose(f);
}

TEST(Residual, RunningStatisticsAreSavedCopiedAndRequired) {
  auto be = make_backend("cpu", 0, 1);
  const NetSpec spec = residual_spec();
  testing::TempDir scratch("residual_ckpt");
  const std::string path = scratch.str() + "/c.h5";
  Net a(*be, spec, kBatch, kClasses);
  a.init_params(6);
  const HostBatch b = testing::synthetic_batch(spec, kBatch, kClasses, 12);
  for (int it = 0; it < 3; ++it) testing::train_step(a, b, it);
  TrainState st;
  st.config_hash = "abc";
  save_checkpoint(path, a, st);

  Net c(*be, spec, kBatch, kClasses);
  load_checkpoint(path, c);
  EXPECT_EQ(c.params().to_host(), a.params().to_host());
  EXPECT_EQ(c.buffers().to_host(), a.buffers().to_host());

  // A transfer of stages 1..2 copies their statistics with their parameters.
  Net d(*be, spec, kBatch, kClasses);
  d.init_params(7);
  const std::vector<float> fresh = d.buffers().to_host();
  copy_layers(path, d, 2);
  const std::vector<float> got = d.buffers().to_host(), from = a.buffers().to_host();
  for (const ParamSlot& p : d.slots()) {
    if (!p.buffer_count) continue;
    const auto& want = p.transfer_index <= 2 ? from : fresh;
    EXPECT_TRUE(std::equal(got.begin() + long(p.buffer_offset), got.begin() + long(p.buffer_offset + p.buffer_count),
                           want.begin() + long(p.buffer_offset)))
        << p.layer->name();
  }

  // Version 1 had no running statistics: a net with batch normalisation
  // refuses such a file naming the layer; a net without loads it.
  make_version_1(path);
  const std::string e = testing::error_of([&] { load_checkpoint(path, c); });
  EXPECT_NE(e.find(path + ": has no running statistics for layer 'b2p_bn' (a checkpoint of version 1"),
            std::string::npos)
      << e;
  Net small(*be, net_preset("small"), 2, 10);
  small.init_params(1);
  save_checkpoint(path, small, st);
  make_version_1(path);
  Net small2(*be, net_preset("small"), 2, 10);
  load_checkpoint(path, small2);
  EXPECT_EQ(small2.params().to_host(), small.params().to_host());
}

}  // namespace
}  // namespace xfer

namespace xfer {
namespace {

// torchvision's resnet18 and resnet50 with 1,000 classes have 11,689,512 and
// 25,557,032 parameters; their running statistics are two per BatchNorm
// channel. The stem and the four stages are n = 1..5.
TEST(ResNetPresets, ParameterCountsAndStagesAreTorchvisions) {
  auto be = make_backend("cpu", 0, 1);
  for (auto [name, params, bn_channels] : std::vector<std::tuple<std::string, size_t, size_t>>{
           {"resnet18", 11689512, 4800}, {"resnet50", 25557032, 26560}}) {
    const NetSpec spec = net_preset(name);
    EXPECT_EQ(spec.transfer_layers(), 5) << name;
    const NetLayout l = plan_net(spec, 2, 1000);
    EXPECT_EQ(l.param_count, params) << name;
    EXPECT_EQ(l.buffer_count, 2 * bn_channels) << name;
    EXPECT_EQ(l.outputs[l.outputs.size() - 3], Shape(2, name == "resnet18" ? 512 : 2048, 7, 7)) << name;
  }
  Net net(*be, net_preset("resnet18"), 1, 1000);
  EXPECT_EQ(net.boundary_count(), 6);  // after the stem and each stage, and the logits
  EXPECT_EQ(net.boundary(1).shape(), Shape(1, 64, 56, 56));
  EXPECT_EQ(net.boundary(5).shape(), Shape(1, 512, 1, 1));  // what fc receives, after the pool
  EXPECT_EQ(net.slot("layer2.0.downsample.0").weight_count, 128u * 64);
  EXPECT_EQ(net.slot("layer2.0.downsample.0").bias_count, 0u);
  EXPECT_EQ(net.slot("layer2.0.downsample.1").transfer_index, 3);
}

// The transfer units' names the tables label n with: a ResNet's stem and
// stages, CaffeNet's layers.
TEST(ResNetPresets, TransferUnitsAreNamedByStage) {
  const NetSpec r18 = net_preset("resnet18");
  EXPECT_TRUE(r18.units_are_stages());
  std::vector<std::string> units;
  for (int n = 1; n <= r18.transfer_layers(); ++n) units.push_back(r18.transfer_unit(n));
  EXPECT_EQ(units, (std::vector<std::string>{"stem", "layer1", "layer2", "layer3", "layer4"}));
  EXPECT_EQ(net_preset("resnet-small").transfer_unit(4), "layer3");
  const NetSpec caffenet = net_preset("caffenet");
  EXPECT_FALSE(caffenet.units_are_stages());
  EXPECT_EQ(caffenet.transfer_unit(1), "conv1");
  EXPECT_EQ(caffenet.transfer_unit(7), "fc7");
  EXPECT_THROW(r18.transfer_unit(7), std::exception);
}

// The small residual network trains: one batch of Fashion-MNIST's size is
// overfitted, batch statistics and all.
TEST(ResNetPresets, SmallResidualNetworkOverfitsOneBatch) {
  auto be = make_backend("cpu", 0, 2);
  const NetSpec spec = net_preset("resnet-small");
  EXPECT_EQ(spec.transfer_layers(), 4);
  Net net(*be, spec, 16, 10);
  net.init_params(5);
  const HostBatch b = testing::synthetic_batch(spec, 16, 10, 77);
  SolverSpec solver = spec.solver;
  solver.base_lr = 0.05;
  double first = 0, last = 0;
  for (int it = 0; it < 60; ++it) {
    const LossStats s = net.forward(b, PassContext{true, 1, uint64_t(it)});
    (it == 0 ? first : last) = s.loss_sum / 16;
    net.backward(1.f / 16);
    SgdSolver(net, solver).update(it);
  }
  EXPECT_GT(first, 1.5);
  EXPECT_LT(last, 0.05) << "loss " << first << " -> " << last;
  const LossStats test = net.forward(b, PassContext{false, 1, 0});  // with the running statistics
  EXPECT_EQ(test.top1, 16) << test.loss_sum / 16;
}

}  // namespace
}  // namespace xfer

namespace xfer {
namespace {

// A transfer from a checkpoint of another architecture is refused naming
// both, before any layer is read (a ResNet's conv1 would not fit CaffeNet's).
TEST(ResidualFaults, ATransferFromAnotherArchitectureIsRefusedNamingBoth) {
  auto be = make_backend("cpu", 0, 1);
  testing::TempDir scratch("other_arch");
  const std::string path = scratch.str() + "/resnet.h5";
  Net res(*be, net_preset("resnet-small"), 2, 10);
  res.init_params(1);
  TrainState st;
  st.config_hash = "abc";
  save_checkpoint(path, res, st);
  Net small(*be, net_preset("small"), 2, 10);
  const std::string e = testing::error_of([&] { copy_layers(path, small, 2); });
  EXPECT_NE(e.find(path + ": a checkpoint of network resnet-small, but this run builds small: its layers cannot be copied"),
            std::string::npos)
      << e;
  EXPECT_NE(testing::error_of([&] { copy_layers(path, res, 5); }).find("layers to copy must be in 1..4 for network resnet-small, got 5"),
            std::string::npos);
}

}  // namespace
}  // namespace xfer
