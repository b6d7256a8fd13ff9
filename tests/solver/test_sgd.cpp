// test_sgd.cpp: the solver against numbers worked out by hand: the "step"
// learning-rate policy (base_lr * gamma^floor(iter / step)) at and around
// each drop, "fixed" as Caffe writes it with this policy, and one update of
// SGD with momentum on a net of two small fully connected layers: weights at
// lr x1 with weight decay, biases at lr x2 without (Caffe's lr_mult and
// decay_mult of the paper's prototxt), a frozen layer (lr_mult 0) untouched.
#include "solver/sgd.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "net/net.h"

namespace xfer {
namespace {

SolverSpec step_policy(double base_lr, double gamma, int step) {
  SolverSpec s;
  s.base_lr = base_lr;
  s.gamma = gamma;
  s.lr_step = step;
  return s;
}

// The paper's prototxt: lr_mult 1 / 2 and decay_mult 1 / 0 for weights /
// biases, base_lr 0.01 divided by 10 every 100,000 iterations.
TEST(SolverLearningRate, PaperDefaults) {
  const SolverSpec s = net_preset("caffenet").solver;
  EXPECT_EQ(s.base_lr, 0.01);
  EXPECT_EQ(s.gamma, 0.1);
  EXPECT_EQ(s.lr_step, 100000);
  EXPECT_EQ(s.momentum, 0.9);
  EXPECT_EQ(s.weight_decay, 0.0005);
  EXPECT_EQ(s.weight_lr_mult, 1);
  EXPECT_EQ(s.weight_decay_mult, 1);
  EXPECT_EQ(s.bias_lr_mult, 2);
  EXPECT_EQ(s.bias_decay_mult, 0);
}

TEST(SolverLearningRate, StepDropsByGammaAtEachMultipleOfTheStep) {
  auto be = make_backend("cpu", 0, 1);
  Net net(*be, net_preset("small"), 1, 10);
  const SgdSolver paper(net, net_preset("caffenet").solver);
  // (iteration, rate): the last iteration before each drop, the drop, the next.
  const std::pair<int64_t, double> expected[] = {
      {0, 0.01},         {1, 0.01},       {99999, 0.01},    {100000, 0.001}, {100001, 0.001},
      {199999, 0.001},   {200000, 1e-4},  {200001, 1e-4},   {299999, 1e-4},  {300000, 1e-5},
      {399999, 1e-5},    {400000, 1e-6},  {449999, 1e-6},
  };
  for (const auto& [iter, lr] : expected) EXPECT_DOUBLE_EQ(paper.learning_rate(iter), lr) << "iteration " << iter;

  // A gamma whose powers are exact in binary: every value is exact.
  const SgdSolver halves(net, step_policy(0.5, 0.5, 3));
  const double halved[] = {0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.0625};
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(halves.learning_rate(i), halved[i]) << "iteration " << i;
}

// Caffe's "fixed" policy is the step policy with gamma 1, or with a step past
// the end of the run.
TEST(SolverLearningRate, FixedRateNeverDrops) {
  auto be = make_backend("cpu", 0, 1);
  Net net(*be, net_preset("small"), 1, 10);
  const SgdSolver gamma_one(net, step_policy(0.02, 1.0, 10));
  const SgdSolver long_step(net, step_policy(0.02, 0.1, 1000000));
  for (int64_t iter : {0, 9, 10, 11, 100, 999999}) {
    EXPECT_EQ(gamma_one.learning_rate(iter), 0.02) << iter;
    EXPECT_EQ(long_step.learning_rate(iter), 0.02) << iter;
  }
  EXPECT_DOUBLE_EQ(long_step.learning_rate(1000000), 0.002);
}

// ---------------------------------------------------------------------------
// The update on a net of two fully connected layers: fc1 (layer 1: 4 inputs ->
// 3, 12 weights, 3 biases) and fc8 (layer 8: 3 -> 2, 6 weights, 2 biases).

// A layer's weights and biases with their momenta, each the same everywhere.
struct LayerValues {
  float w, vw, b, vb;
};

class SolverUpdate : public ::testing::Test {
 protected:
  SolverUpdate() : be_(make_backend("cpu", 0, 1)), net_(*be_, tiny_spec(), 1, 2) {}

  static NetSpec tiny_spec() {
    NetSpec spec;
    spec.preset = "tiny";
    spec.channels = 1;
    spec.stored_size = spec.crop = 2;
    spec.layers = {{.name = "fc1", .type = LayerType::InnerProduct, .transfer_index = 1, .outputs = 3},
                   {.name = "fc8", .type = LayerType::InnerProduct, .transfer_index = 8, .outputs = 0}};
    spec.solver = step_policy(0.1, 0.1, 10);
    spec.solver.momentum = 0.9;
    spec.solver.weight_decay = 0.5;  // large, so that decay shows in the numbers
    return spec;
  }
  // Every parameter `w`, gradient `g`, momentum `v`.
  void fill(float w, float g, float v) {
    const size_t n = net_.param_count();
    net_.params().from_host(std::vector<float>(n, w));
    net_.grads().from_host(std::vector<float>(n, g));
    net_.momentum().from_host(std::vector<float>(n, v));
  }
  // Expects every weight, bias and momentum of `layer` to hold `e`.
  void expect_layer(const std::string& layer, const LayerValues& e) {
    const ParamSlot& p = net_.slot(layer);
    const auto params = net_.params().to_host(), mom = net_.momentum().to_host();
    for (size_t i = p.offset; i < p.offset + p.count(); ++i) {
      const bool bias = i >= p.offset + p.weight_count;
      EXPECT_NEAR(params[i], bias ? e.b : e.w, 1e-6) << layer << (bias ? " bias " : " weight ") << i - p.offset;
      EXPECT_NEAR(mom[i], bias ? e.vb : e.vw, 1e-6) << layer << (bias ? " bias " : " weight ") << i - p.offset;
    }
  }

  std::unique_ptr<Backend> be_;
  Net net_;
};

TEST_F(SolverUpdate, TinyNetIsWhatWeExpect) {
  ASSERT_EQ(net_.slots().size(), 2u);
  EXPECT_EQ(net_.slot("fc1").weight_count, 12u);
  EXPECT_EQ(net_.slot("fc1").bias_count, 3u);
  EXPECT_EQ(net_.slot("fc8").weight_count, 6u);
  EXPECT_EQ(net_.slot("fc8").bias_count, 2u);
}

// Two steps either side of the drop at 10, w = 2, g = 0.5 throughout,
// momentum 0.9, decay 0.5:
//   weights, iteration 9 (lr 0.1):   v = 0.1 * (0.5 + 0.5 * 2) = 0.15, w = 1.85
//            iteration 10 (lr 0.01): v = 0.9 * 0.15 + 0.01 * (0.5 + 0.5 * 1.85)
//                                      = 0.135 + 0.01425 = 0.14925, w = 1.70075
//   biases (lr x2, no decay):        v = 0.2 * 0.5 = 0.1, w = 1.9
//                                    v = 0.9 * 0.1 + 0.02 * 0.5 = 0.1, w = 1.8
constexpr LayerValues kAfter9{1.85f, 0.15f, 1.9f, 0.1f};
constexpr LayerValues kAfter10{1.70075f, 0.14925f, 1.8f, 0.1f};

TEST_F(SolverUpdate, MomentumDecayAndBiasMultipliersAcrossTheDrop) {
  SgdSolver solver(net_, net_.spec().solver);
  fill(2.f, 0.5f, 0.f);
  solver.update(9);
  for (const char* layer : {"fc1", "fc8"}) expect_layer(layer, kAfter9);
  solver.update(10);  // the gradients are unchanged
  for (const char* layer : {"fc1", "fc8"}) expect_layer(layer, kAfter10);
}

// With no gradient, weights shrink by lr * decay * w (v = 0.1 * 0.5 * 2 = 0.1,
// w = 1.9) and biases do not move.
TEST_F(SolverUpdate, BiasesGetNoWeightDecay) {
  SgdSolver solver(net_, net_.spec().solver);
  fill(2.f, 0.f, 0.f);
  solver.update(0);
  for (const char* layer : {"fc1", "fc8"}) expect_layer(layer, {1.9f, 0.1f, 2.f, 0.f});
}

// lr_mult 0: a frozen layer keeps its parameters and a zero momentum, whatever
// its gradient buffer holds; the layers above train as usual.
TEST_F(SolverUpdate, FrozenLayerGetsNoUpdate) {
  net_.set_frozen(1);
  SgdSolver solver(net_, net_.spec().solver);
  fill(2.f, 0.5f, 0.f);
  for (int64_t iter : {9, 10}) solver.update(iter);
  expect_layer("fc1", {2.f, 0.f, 2.f, 0.f});
  expect_layer("fc8", kAfter10);
}

// Each element on its own: values that differ per element, against the rule
// written out in double precision, with multipliers other than the paper's.
TEST_F(SolverUpdate, EveryElementFollowsTheRuleWithItsMultipliers) {
  SolverSpec s = net_.spec().solver;
  s.weight_lr_mult = 0.5;
  s.weight_decay_mult = 3;
  s.bias_lr_mult = 4;
  s.bias_decay_mult = 0.25;
  SgdSolver solver(net_, s);
  const size_t n = net_.param_count();
  std::vector<float> w(n), g(n), v(n);
  for (size_t i = 0; i < n; ++i) {
    w[i] = 0.1f * float(i) - 1.f;
    g[i] = 0.05f * float(i % 7) - 0.1f;
    v[i] = 0.01f * float(i % 5);
  }
  net_.params().from_host(w);
  net_.grads().from_host(g);
  net_.momentum().from_host(v);
  solver.update(25);  // lr 0.1 * 0.1^2 = 0.001
  const auto w1 = net_.params().to_host(), v1 = net_.momentum().to_host();
  for (const auto& p : net_.slots())
    for (size_t i = p.offset; i < p.offset + p.count(); ++i) {
      const bool bias = i >= p.offset + p.weight_count;
      const double lr = 0.001 * (bias ? 4 : 0.5), decay = 0.5 * (bias ? 0.25 : 3);
      const double vi = 0.9 * v[i] + lr * (g[i] + decay * w[i]);
      EXPECT_NEAR(v1[i], vi, 1e-6) << "element " << i;
      EXPECT_NEAR(w1[i], w[i] - vi, 1e-6) << "element " << i;
    }
}

}  // namespace
}  // namespace xfer
